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
	return clearRefs("self") == nil
}

// clearRefs resets the peak RSS (VmHWM, and ru_maxrss with it) of the
// process proc ("self" or a pid) by writing 5 to /proc/<proc>/clear_refs
// (Linux 4.0+).
func clearRefs(proc string) error {
	if runtime.GOOS != "linux" {
		return errPeakRSSUnsupported
	}
	return os.WriteFile("/proc/"+proc+"/clear_refs", []byte("5"), 0)
}

// procPeakRSS returns the peak RSS in bytes of the process proc ("self"
// or a pid): VmHWM of /proc/<proc>/status (Linux).
func procPeakRSS(proc string) (uint64, error) {
	if runtime.GOOS != "linux" {
		return 0, errPeakRSSUnsupported
	}
	b, err := os.ReadFile("/proc/" + proc + "/status")
	if err != nil {
		return 0, err
	}
	return parseVmHWM(b)
}
