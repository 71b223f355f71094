/* TEST-ONLY stand-in for bcryptprimitives.dll under Debian's Wine 8: Rust's std
 * imports ProcessPrng from it, which Wine 8 lacks; this forwards to RtlGenRandom.
 * Real Windows has the DLL. Built with MinGW by scripts/test.sh (the Windows Hello
 * check) and scripts/test-windows-packages.sh (notes: windows-under-wine.md). */
#include <windows.h>
#define RtlGenRandom SystemFunction036
BOOLEAN WINAPI RtlGenRandom(PVOID buf, ULONG len);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE buf, SIZE_T len) {
    while (len > 0) { ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(buf, n)) return FALSE; buf += n; len -= n; }
    return TRUE; }
