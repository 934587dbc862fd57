// An exit branch decides from logits; a head that produces bits cannot feed it.
// expect: ExitBranch requires a head that produces logits
#include "ddnn/exits/exit_branch.hpp"

#ifdef DDNN_COMPILE_FAIL
using Head = ddnn::BinaryDense<10>;
#else
using Head = ddnn::BinaryDense<10, ddnn::Output::logits>;
#endif
using Branch = ddnn::ExitBranch<Head>::bind<ddnn::Shape<4, 4, 8>>;
static_assert(sizeof(Branch) > 0);
