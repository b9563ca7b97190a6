/* Harness self-test: a TEST_CASE whose result differs must fail the program with its number (3),
 * after earlier tests passed. Listed in expectations.txt. */
#include "harness.h"
  .option norvc
TEST_BEGIN
  TEST_CASE(1, 1, li a0, 1)
  TEST_CASE(3, 0x1234, li a0, 0x1235)
  TEST_CASE(4, 1, li a0, 1)
TEST_END
