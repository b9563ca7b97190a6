/* Harness self-test: a program that never reports must be reported as hung, not passed (the
 * runner's instruction budget or timeout). Listed in expectations.txt. */
#include "harness.h"
  .option norvc
TEST_BEGIN
  TEST_CASE(1, 1, li a0, 1)
  TEST_CASE(2, 1, 1: j 1b)
TEST_END
