//go:build unix

package bench

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSS returns getrusage(RUSAGE_SELF).ru_maxrss in bytes: the kernel
// counts kilobytes, except on Darwin (bytes).
func maxRSS() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil || ru.Maxrss <= 0 {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return uint64(ru.Maxrss)
	}
	return uint64(ru.Maxrss) * 1024
}

// resetPeakRSS resets the process's peak RSS (Linux 4.0+: writing 5 to
// /proc/self/clear_refs), which ru_maxrss then follows.
func resetPeakRSS() bool {
	if runtime.GOOS != "linux" {
		return false
	}
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}
