// --full's retrained graphs over tiles with the binary cloud, instantiated in this translation
// unit only.
#include "retrained.hpp"

namespace mnist_ddnn {

template std::vector<Comparison> retrained_schemes<TileShape, false>(const Data<TileShape>&,
                                                                     const Config&);
template std::vector<Comparison> retrained_filters<TileShape, false>(const Data<TileShape>&,
                                                                     const Config&);

}  // namespace mnist_ddnn
