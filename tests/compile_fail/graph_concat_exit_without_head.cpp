// Concatenated logits need a head that maps the N*C values back to C classes.
// expect: requires a combining head over the concatenated logits
#include "ddnn/graph/topology.hpp"
#include "ddnn/layers/binary_dense.hpp"

using namespace ddnn;
using Head = BinaryDense<3, Output::logits>;
#ifdef DDNN_COMPILE_FAIL
using LocalExit = Exit<Head, Concat>;
#else
using LocalExit = Exit<Head, Max>;
#endif

bool exits() { return LocalExit::exits; }
