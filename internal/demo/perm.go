package demo

import "math/bits"

// perm is a keyed pseudo-random permutation of [0, n).
//
// It is a 4-round balanced Feistel network over [0, 2^(2h)), with 2^(2h) the
// smallest even power of two >= n, restricted to [0, n) by cycle walking.
//
// Why it is a bijection of [0, n):
//   - One Feistel round maps (l, r) to (r, l XOR F(r)); it is inverted by
//     (l', r') -> (r' XOR F(l'), l'), whatever F is. A composition of
//     bijections is a bijection, so the network is a permutation π of
//     [0, 2^(2h)).
//   - Cycle walking returns, for x < n, the first element of
//     π(x), π(π(x)), … that is < n. The walk terminates because x lies on a
//     finite cycle of π that comes back to x. If two inputs x ≠ y in [0, n)
//     gave the same output z, then z would be the first in-domain element
//     after both x and y on the same cycle; walking backwards from z, the
//     first in-domain element met is unique, so x = y. Hence the restriction
//     is injective on [0, n), and an injective map of a finite set into
//     itself is a bijection.
//
// Uniqueness of generated identifiers therefore reduces to feeding each perm
// distinct counters below n, which the generator does (see generate.go).
type perm struct {
	n    uint64
	half uint
	mask uint64
	keys [4]uint64
}

func newPerm(n uint64, keys [4]uint64) *perm {
	if n < 2 {
		n = 2
	}
	b := uint(bits.Len64(n - 1)) // bits needed for n-1
	h := (b + 1) / 2
	if h == 0 {
		h = 1
	}
	return &perm{n: n, half: h, mask: 1<<h - 1, keys: keys}
}

// at returns the image of x, which must be < p.n.
func (p *perm) at(x uint64) uint64 {
	for {
		x = p.feistel(x)
		if x < p.n {
			return x
		}
	}
}

func (p *perm) feistel(x uint64) uint64 {
	l, r := x>>p.half, x&p.mask
	for _, k := range p.keys {
		l, r = r, l^(mix64(r^k)&p.mask)
	}
	return l<<p.half | r
}

// mix64 is the SplitMix64 finaliser, a good cheap round function.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
