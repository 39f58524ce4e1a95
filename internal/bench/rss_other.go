//go:build !unix

package bench

func maxRSS() uint64     { return 0 }
func resetPeakRSS() bool { return false }
