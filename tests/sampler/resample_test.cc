#include <gtest/gtest.h>
#include "steer/sampler/resample.h"
