// The rule IDs the model can emit. The catalogue test cross-checks this list
// against properties/catalogue/rules.json, so a verdict never names a rule the
// catalogue does not know, and a rule marked "model" is really checked here.
#pragma once

#include <span>
#include <string_view>

namespace emmi::model {

std::span<const std::string_view> checked_rules();

}  // namespace emmi::model
