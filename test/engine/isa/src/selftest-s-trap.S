/* Harness self-test: an unexpected trap delegated to S (ebreak in S) escalates to M and fails the
 * program with the current test number (4). Listed in expectations.txt. */
#include "harness.h"
  .option norvc
TEST_BEGIN
  TEST_CASE(1, 1, li a0, 1)
  TEST_CASE(4, 1, li a1, 1 << CAUSE_BREAKPOINT; csrw medeleg, a1; MRET_TO(PRV_S, 1f); 1: li a0, 1; ebreak)
  TEST_CASE(5, 1, li a0, 1)
TEST_END
