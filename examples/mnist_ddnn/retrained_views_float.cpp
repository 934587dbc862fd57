// --full's retrained graphs over views with the float cloud, instantiated in this translation
// unit only.
#include "retrained.hpp"

namespace mnist_ddnn {

template std::vector<Comparison> retrained_schemes<ViewShape, true>(const Data<ViewShape>&,
                                                                    const Config&);
template std::vector<Comparison> retrained_filters<ViewShape, true>(const Data<ViewShape>&,
                                                                    const Config&);

}  // namespace mnist_ddnn
