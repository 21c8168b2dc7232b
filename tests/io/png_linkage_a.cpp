// Translation unit A of the linkage test: includes salt's PNG reader.
#include "salt/io/png.hpp"

salt::io::Image8 linkage_a_roundtrip(const salt::io::Image8& img) { return salt::io::decode_png(salt::io::encode_png(img)); }
