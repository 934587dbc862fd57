// CHECK_ERROR(action, expected): the action throws a ddnn::error whose message contains
// `expected` (anything else, or nothing, fails the test).
#pragma once
#include <doctest/doctest.h>

#include <exception>
#include <string>

#include "ddnn/core/error.hpp"

/// The message of the ddnn::error `action` throws; fails the test when it throws nothing or
/// anything else.
template <class Action>
std::string error_of(Action&& action) {
  try {
    action();
  } catch (const ddnn::error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("not a ddnn::error: " << e.what());
  }
  FAIL("no ddnn::error");
  return {};
}

#define CHECK_ERROR(action, expected)                       \
  do {                                                      \
    const std::string message_ = error_of([&] { action; }); \
    INFO(message_);                                         \
    CHECK(message_.find(expected) != std::string::npos);    \
  } while (0)
