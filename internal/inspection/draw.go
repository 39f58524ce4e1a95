package inspection

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/fault"
)

// The draw. Its inputs are published with its result, so that anyone can
// run it again and get the same targets:
//
//   - the population snapshot: one line per subject, "CODE<TAB>GRADE\n",
//     ordered by code (the USCC, or the registration number without one;
//     grade "-" when not evaluated), and its SHA-256;
//   - the share drawn of each grade, in thousandths;
//   - the seed: 32 random bytes whose SHA-256 was published when the task
//     was created, before the population was known;
//   - the task's code.
//
// Each subject's key is SHA-256(hex(seed) "|" task "|" code). In each
// grade of N subjects with share r‰, the round(N×r/1000) subjects with the
// smallest keys are drawn (half up; ties of keys, never seen, by code).
// Targets are numbered grade by grade, in the plan's order, by key.
//
// Inspectors: the pool is one line per inspector, "BADGE<TAB>CODE,CODE…\n"
// of the subjects they must not inspect, ordered by badge; P lines. For
// each target, for j = 0, 1, 2, …: the inspector at position
// (first 8 bytes of SHA-256(hex(seed) "|" task "|" code "|" j), big-endian)
// mod P is taken unless they must not inspect it or were taken already,
// until PerTarget are taken (a target with fewer free inspectors fails the
// draw). The pool's listing is kept with its hash (it names conflicts of
// interest, so it is not published; xinyong inspect redraw checks it).

// Member is a subject of the population.
type Member struct {
	SubjectID int64
	Code      string
	Name      string
	Grade     string // Ungraded when not evaluated
}

// PoolMember is an inspector of the pool.
type PoolMember struct {
	ID        int64
	Badge     string
	Conflicts []string // codes of the subjects they must not inspect, sorted
}

// Stratum is one grade of a draw.
type Stratum struct {
	Grade      string  `json:"grade"`
	PerMille   int     `json:"per_mille"`
	Population int     `json:"population"`
	Drawn      int     `json:"drawn"`
	Exact      float64 `json:"exact" doc:"population × per_mille / 1000: drawn is this rounded half up."`
}

// Input is what a draw is made of.
type Input struct {
	Task       string
	Seed       []byte
	Population []Member // ordered by code, codes unique
	Pool       []PoolMember
	Grades     []string       // the order of strata: the plan's grades, then Ungraded
	PerMille   map[string]int // share drawn of each grade
	PerTarget  int
}

// Target is a drawn subject and the inspectors drawn for it.
type Target struct {
	Seq int
	Member
	Inspectors []PoolMember
}

// Outcome is a draw's result.
type Outcome struct {
	PopulationHash string
	PoolHash       string
	Strata         []Stratum
	Targets        []Target
}

// PopulationListing is the population snapshot's text.
func PopulationListing(ms []Member) []byte {
	var b bytes.Buffer
	b.Grow(len(ms) * 24)
	for _, m := range ms {
		g := m.Grade
		if g == "" {
			g = Ungraded
		}
		b.WriteString(m.Code)
		b.WriteByte('\t')
		b.WriteString(g)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// PoolListing is the pool's text.
func PoolListing(ps []PoolMember) []byte {
	var b bytes.Buffer
	for _, p := range ps {
		b.WriteString(p.Badge)
		b.WriteByte('\t')
		b.WriteString(strings.Join(p.Conflicts, ","))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Hash is the hex SHA-256 of b.
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// ParsePopulation reads a population listing back (subject ids and names
// are not in it).
func ParsePopulation(b []byte) ([]Member, error) {
	var out []Member
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 1024), 1024)
	for n := 1; sc.Scan(); n++ {
		code, grade, ok := strings.Cut(sc.Text(), "\t")
		if !ok || code == "" || grade == "" {
			return nil, fmt.Errorf("population line %d: want CODE<TAB>GRADE", n)
		}
		out = append(out, Member{Code: code, Grade: grade})
	}
	return out, sc.Err()
}

// ParsePool reads a pool listing back (inspector ids are not in it).
func ParsePool(b []byte) ([]PoolMember, error) {
	var out []PoolMember
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		badge, conflicts, ok := strings.Cut(sc.Text(), "\t")
		if !ok || badge == "" {
			return nil, fmt.Errorf("pool line %d: want BADGE<TAB>CODES", n)
		}
		p := PoolMember{Badge: badge}
		if conflicts != "" {
			p.Conflicts = strings.Split(conflicts, ",")
		}
		out = append(out, p)
	}
	return out, sc.Err()
}

// Gzip and Gunzip keep snapshots small in the store.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // a snapshot is written once per draw, read rarely
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func Gunzip(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// keyed is a member (by index) with the first 8 bytes of its key; keys
// holds the whole keys, for ties.
type keyed struct {
	hi uint64
	i  int32
}

// Run makes the draw.
func Run(in Input) (Outcome, error) {
	if len(in.Seed) != 32 {
		return Outcome{}, fmt.Errorf("draw: seed of %d bytes, want 32", len(in.Seed))
	}
	out := Outcome{PopulationHash: Hash(PopulationListing(in.Population)), PoolHash: Hash(PoolListing(in.Pool))}
	prefix := []byte(hex.EncodeToString(in.Seed) + "|" + in.Task + "|")
	byGrade := map[string][]keyed{}
	keys := make([][32]byte, len(in.Population))
	buf := make([]byte, 0, len(prefix)+64)
	for i, m := range in.Population {
		if i > 0 && m.Code <= in.Population[i-1].Code {
			return Outcome{}, fmt.Errorf("draw: population not ordered by code at %q", m.Code)
		}
		g := m.Grade
		if g == "" {
			g = Ungraded
		}
		buf = append(append(buf[:0], prefix...), m.Code...)
		keys[i] = sha256.Sum256(buf)
		byGrade[g] = append(byGrade[g], keyed{hi: binary.BigEndian.Uint64(keys[i][:8]), i: int32(i)})
	}
	for g := range byGrade {
		if !slices.Contains(in.Grades, g) {
			return Outcome{}, fmt.Errorf("draw: grade %q of the population is not in the plan", g)
		}
	}
	for _, g := range in.Grades {
		ks := byGrade[g]
		pm := in.PerMille[g]
		st := Stratum{Grade: g, PerMille: pm, Population: len(ks), Exact: float64(len(ks)) * float64(pm) / 1000}
		st.Drawn = min((len(ks)*pm+500)/1000, len(ks))
		if st.Drawn > 0 {
			// By the first 8 bytes of the keys, the rest of the key and
			// the code breaking ties.
			slices.SortFunc(ks, func(a, b keyed) int {
				switch {
				case a.hi < b.hi:
					return -1
				case a.hi > b.hi:
					return 1
				}
				if c := bytes.Compare(keys[a.i][:], keys[b.i][:]); c != 0 {
					return c
				}
				return strings.Compare(in.Population[a.i].Code, in.Population[b.i].Code)
			})
			for _, k := range ks[:st.Drawn] {
				out.Targets = append(out.Targets, Target{Seq: len(out.Targets) + 1, Member: in.Population[k.i]})
			}
		}
		out.Strata = append(out.Strata, st)
	}
	if in.PerTarget <= 0 {
		return out, nil
	}
	idx := make([]byte, 0, 8)
	blocked := map[string]int{} // code → inspectors who must not inspect it
	for _, p := range in.Pool {
		for _, c := range p.Conflicts {
			blocked[c]++
		}
	}
	for ti := range out.Targets {
		t := &out.Targets[ti]
		if free := len(in.Pool) - blocked[t.Code]; free < in.PerTarget {
			return Outcome{}, fault.Newf(fault.Invalid, "检查人员不足：第%d个抽查对象（%s）回避后只有%d名检查人员可抽，需要%d名", t.Seq, t.Code, free, in.PerTarget)
		}
		taken := make([]bool, len(in.Pool))
		for j := 0; len(t.Inspectors) < in.PerTarget; j++ {
			idx = strconv.AppendInt(idx[:0], int64(j), 10)
			buf = append(append(append(append(buf[:0], prefix...), t.Code...), '|'), idx...)
			h := sha256.Sum256(buf)
			i := binary.BigEndian.Uint64(h[:8]) % uint64(len(in.Pool))
			if p := in.Pool[i]; !taken[i] && (blocked[t.Code] == 0 || !conflicts(p, t.Code)) {
				taken[i] = true
				t.Inspectors = append(t.Inspectors, p)
			}
		}
	}
	return out, nil
}

// conflicts reports whether p must not inspect the subject with code.
func conflicts(p PoolMember, code string) bool {
	_, found := slices.BinarySearch(p.Conflicts, code)
	return found
}
