/* Harness self-test: a trap nobody expected (an ecall in M) fails the program with the current
 * test number (2). Listed in expectations.txt. */
#include "harness.h"
  .option norvc
TEST_BEGIN
  TEST_CASE(1, 1, li a0, 1)
  TEST_CASE(2, 1, li a0, 1; ecall)
  TEST_CASE(3, 1, li a0, 1)
TEST_END
