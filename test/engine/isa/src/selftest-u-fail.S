/* Harness self-test: a mismatch detected in U-mode, with U ecalls delegated to S, still reaches M
 * (U -> S -> M) and fails the program with its number (5). Listed in expectations.txt. */
#include "harness.h"
  .option norvc
TEST_BEGIN
  TEST_CASE(1, 1, li a0, 1)
  TEST_CASE(5, 2, li a1, 1 << CAUSE_USER_ECALL; csrw medeleg, a1; MRET_TO(PRV_U, 1f); 1: li a0, 1)
  TEST_CASE(6, 1, li a0, 1)
TEST_END
