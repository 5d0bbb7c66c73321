// Reset handler and vector table for Cortex-M firmware that talks to the host through
// semihosting (newlib's rdimon): copy .data, clear .bss, enable the FPU, run C++ static
// constructors (kernel registration lives there), call main, exit with its status.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern uint32_t __stack_top;
extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end;
extern int main(void);
extern void __libc_init_array(void);
extern void initialise_monitor_handles(void);

// -nostartfiles drops crti/crtbegin, which define these.
void* __dso_handle = 0;
void _init(void) {}
void _fini(void) {}

void Reset_Handler(void) {
  memcpy(&__data_start, &__data_load, (size_t)((char*)&__data_end - (char*)&__data_start));
  memset(&__bss_start, 0, (size_t)((char*)&__bss_end - (char*)&__bss_start));
#if defined(__ARM_FP)
  // CPACR: full access to CP10/CP11 (the FPU), before any floating-point instruction.
  *(volatile uint32_t*)0xE000ED88u |= 0xFu << 20;
  __asm volatile("dsb\n\tisb");
#endif
  initialise_monitor_handles();
  __libc_init_array();
  exit(main());
}

// A fault ends the run with a message and a non-zero status instead of hanging the emulator.
void Fault_Handler(void) {
  fputs("firmware: fault (hard fault, memory management, bus or usage fault)\n", stderr);
  exit(3);
}

void Idle_Handler(void) {}

// newlib's arc4random and libstdc++'s random_device (reached from a full portable kernel
// library, e.g. native_dropout) need getentropy, which neither newlib nor semihosting
// provides: link, and fail at run time like a board without an entropy source.
__attribute__((weak)) int getentropy(void* buffer, size_t length) {
  (void)buffer;
  (void)length;
  errno = ENOSYS;
  return -1;
}

__attribute__((section(".vectors"), used)) void* const vector_table[16] = {
    &__stack_top,  Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, 0,             0,             0,             0,             Idle_Handler,
    Idle_Handler,  0,             Idle_Handler,  Idle_Handler,
};
