//go:build !unix

package bench

func maxRSS() uint64     { return 0 }
func resetPeakRSS() bool { return false }

func clearRefs(string) error             { return errPeakRSSUnsupported }
func procPeakRSS(string) (uint64, error) { return 0, errPeakRSSUnsupported }
