// --full's retrained graphs over tiles with the float cloud, instantiated in this translation
// unit only.
#include "retrained.hpp"

namespace mnist_ddnn {

template std::vector<Comparison> retrained_schemes<TileShape, true>(const Data<TileShape>&,
                                                                    const Config&);
template std::vector<Comparison> retrained_filters<TileShape, true>(const Data<TileShape>&,
                                                                    const Config&);

}  // namespace mnist_ddnn
