package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
)

func keyTests() []namedTest {
	return []namedTest{
		{"DataKeysFresh", testKeysFresh},
		{"DataKeysFromFingerprint", testKeysLegacy},
		{"KeyRotateMaster", testRotateMaster},
		{"KeyReencrypt", testReencrypt},
		{"KeyReencryptInterrupted", testReencryptInterrupted},
		{"SigningKeyKept", testSigningKeyKept},
	}
}

// legacyMaster is the master key of Keys().
var legacyMaster = bytes.Repeat([]byte{42}, pii.KeySize)

func masterKey(b byte) []byte { return bytes.Repeat([]byte{b}, pii.KeySize) }

func keyStore(t *testing.T, s store.Store) store.KeyStore {
	t.Helper()
	ks, ok := s.(store.KeyStore)
	if !ok {
		t.Fatalf("%T does not implement store.KeyStore", s)
	}
	return ks
}

// loadKeys opens the database's data keys with master.
func loadKeys(t *testing.T, s store.Store, master []byte) (*pii.Keyring, error) {
	t.Helper()
	k, err := pii.NewMaster(master)
	if err != nil {
		t.Fatal(err)
	}
	return k, store.LoadKeys(context.Background(), keyStore(t, s), k)
}

func mustLoadKeys(t *testing.T, s store.Store, master []byte) *pii.Keyring {
	t.Helper()
	k, err := loadKeys(t, s, master)
	if err != nil {
		t.Fatalf("LoadKeys: %v", err)
	}
	return k
}

func wantWrongKey(t *testing.T, s store.Store, master []byte) {
	t.Helper()
	if _, err := loadKeys(t, s, master); !errors.Is(err, pii.ErrWrongKey) {
		t.Fatalf("LoadKeys with master %x…: %v, want pii.ErrWrongKey", master[:2], err)
	}
}

func wantKeyIDs(t *testing.T, k *pii.Keyring, ids []byte, primary byte) {
	t.Helper()
	got, p := k.EncryptionKeys()
	if !bytes.Equal(got, ids) || p != primary {
		t.Fatalf("encryption keys %v primary %d, want %v primary %d", got, p, ids, primary)
	}
}

// personalData files persons, and records about them with personal
// fields, some with a second version (so that record_versions holds
// ciphertexts too). It returns the persons' ID numbers and the record ids.
func personalData(t *testing.T, s store.Store) (persons []string, records []int64) {
	t.Helper()
	subjects := sampleSubjects()
	people := []credit.Subject{subjects[5]}
	for i := range 5 {
		p := credit.Subject{Class: credit.ClassPerson, IDNumber: RIC("610103", "19850302", 10+i), Name: fmt.Sprintf("测试人%d", i)}
		people = append(people, p)
		subjects = append(subjects, p)
	}
	for _, p := range people {
		persons = append(persons, p.IDNumber)
	}
	mustPut(t, s, subjects)
	rec := func(i int, content string) store.RecordInput {
		p := people[i%len(people)]
		id := p.IDNumber
		r := penalty(50+i, content)
		r.Subject = credit.Subject{Class: credit.ClassPerson, IDNumber: id, Name: p.Name}
		r.Identity = "cf|" + r.SourceDept + "|" + r.DecisionNo + "|" + id
		r.Private = []byte(fmt.Sprintf(`{"subject_id_number":%q,"content":%q}`, id, content))
		return r
	}
	b := startBatch(t, s, "")
	var first, second []store.RecordInput
	for i := range 7 {
		first = append(first, rec(i, "罚款"))
		if i < 3 {
			second = append(second, rec(i, "罚款（更正）"))
		}
	}
	first = append(first, penalty(70, "无个人信息")) // a record without personal fields
	for _, o := range put(t, s, b.ID, first...) {
		records = append(records, o.ID)
	}
	put(t, s, b.ID, second...)
	return persons, records
}

// snapshot is everything personal the store gives back, decrypted: each
// person found by ID number, each version of each record.
func snapshot(t *testing.T, s store.Store, persons []string, records []int64) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, id := range persons {
		sub := mustFind(t, s, id)
		fmt.Fprintf(&b, "%s → %d %s %s\n", credit.MaskID(id), sub.ID, sub.Name, sub.MaskedID)
	}
	for _, id := range records {
		vs, err := s.RecordVersions(ctx, id)
		if err != nil {
			t.Fatalf("RecordVersions(%d): %v", id, err)
		}
		for _, v := range vs {
			fmt.Fprintf(&b, "%d/%d %s %s\n", id, v.Version, v.Private, v.Fields)
		}
	}
	if !strings.Contains(b.String(), "罚款（更正）") || strings.Count(b.String(), `"subject_id_number"`) != 10 {
		t.Fatalf("personal data missing from the snapshot:\n%s", b.String())
	}
	return b.String()
}

// keyCensus counts the ciphertexts of each encrypted column by the id of
// their encryption key (columns without any are left out).
func keyCensus(t *testing.T, s store.Store) map[string]map[byte]int {
	t.Helper()
	ks := keyStore(t, s)
	out := map[string]map[byte]int{}
	for _, c := range store.EncryptedColumns {
		out[c.String()] = map[byte]int{}
		defer func() {
			if len(out[c.String()]) == 0 {
				delete(out, c.String())
			}
		}()
		var after []any
		for {
			last, read, rewritten, err := ks.ReencryptBatch(context.Background(), c, after, 4, func(ct []byte) ([]byte, error) {
				if len(ct) > 0 {
					out[c.String()][ct[0]]++
				}
				return nil, nil
			})
			if err != nil || rewritten != 0 {
				t.Fatalf("census of %s: %v (%d rewritten)", c, err, rewritten)
			}
			if read < 4 {
				break
			}
			after = last
		}
	}
	return out
}

func wantCensus(t *testing.T, s store.Store, want string) {
	t.Helper()
	got := fmt.Sprint(keyCensus(t, s))
	if got != want {
		t.Fatalf("ciphertexts by key id: %s, want %s", got, want)
	}
}

// legacyDatabase fills the store (opened with Keys(), whose sub-keys are
// derived as before envelope encryption) and stores the fingerprint as
// that release did: a database written by it.
func legacyDatabase(t *testing.T, h Harness) (persons []string, records []int64, before string) {
	t.Helper()
	persons, records = personalData(t, h.Store)
	before = snapshot(t, h.Store, persons, records)
	fp := Keys().LegacyFingerprint()
	if got, err := h.Store.InitSetting(context.Background(), store.SettingFingerprint, fp); err != nil || got != fp {
		t.Fatalf("store fingerprint: %q %v", got, err)
	}
	return persons, records, before
}

// countsString shows the columns that hold ciphertexts as re-encrypted/rows.
func countsString(counts []store.ColumnCount) string {
	var parts []string
	for _, c := range counts {
		if c.Rows > 0 {
			parts = append(parts, fmt.Sprintf("%s %d/%d", c.Column, c.Reencrypted, c.Rows))
		}
	}
	return strings.Join(parts, " ")
}

func testKeysFresh(t *testing.T, h Harness) {
	ctx := context.Background()
	m := masterKey(1)
	// Processes starting together agree on one set of sub-keys.
	rings := make([]*pii.Keyring, 8)
	var wg sync.WaitGroup
	errs := make([]error, len(rings))
	for i := range rings {
		wg.Go(func() {
			k, _ := pii.NewMaster(m)
			errs[i] = store.LoadKeys(ctx, keyStore(t, h.Store), k)
			rings[i] = k
		})
	}
	wg.Wait()
	ct := rings[0].Encrypt("11010519491231002X")
	for i, k := range rings {
		if errs[i] != nil {
			t.Fatalf("LoadKeys #%d: %v", i, errs[i])
		}
		if got, err := k.Decrypt(ct); err != nil || got != "11010519491231002X" || !bytes.Equal(k.Hash("x"), rings[0].Hash("x")) {
			t.Fatalf("keyring #%d differs: %q %v", i, got, err)
		}
		wantKeyIDs(t, k, []byte{1}, 1)
	}
	// Random sub-keys, not the ones derived from the master key.
	if old, _ := pii.New(m); bytes.Equal(old.Hash("x"), rings[0].Hash("x")) {
		t.Fatal("a new database uses the derived lookup key")
	}
	// The same master opens them after a reopen; another does not.
	s := h.ReopenWith(rings[0])
	if got, err := mustLoadKeys(t, s, m).Decrypt(ct); err != nil || got != "11010519491231002X" {
		t.Fatalf("after reopen: %q %v", got, err)
	}
	wantWrongKey(t, s, masterKey(2))
	// A release before envelope encryption refuses the database.
	if got, _ := s.InitSetting(ctx, store.SettingFingerprint, rings[0].LegacyFingerprint()); got == rings[0].LegacyFingerprint() {
		t.Fatal("the fingerprint row would let an older release write with derived keys")
	}
	// The wrapped keys hold nothing in clear.
	w, err := keyStore(t, s).Setting(ctx, store.SettingDataKeys)
	if err != nil || !strings.HasPrefix(w, "v1:") {
		t.Fatalf("data_keys = %q, %v", w, err)
	}
	persons, records := personalData(t, s)
	snapshot(t, s, persons, records)
}

func testKeysLegacy(t *testing.T, h Harness) {
	ctx := context.Background()
	persons, records, before := legacyDatabase(t, h)
	ks := keyStore(t, h.Store)
	wantWrongKey(t, h.Store, masterKey(43))
	if _, err := ks.Setting(ctx, store.SettingDataKeys); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a wrong key stored data keys: %v", err)
	}
	k := mustLoadKeys(t, h.Store, legacyMaster)
	wantKeyIDs(t, k, []byte{1}, 1)
	if !bytes.Equal(k.Hash("x"), Keys().Hash("x")) {
		t.Fatal("lookup key is not the derived one: persons would not be found")
	}
	if fp, _ := ks.Setting(ctx, store.SettingFingerprint); fp == Keys().LegacyFingerprint() {
		t.Fatal("fingerprint row left as is: an older release would write with derived keys")
	}
	s := h.ReopenWith(k)
	if got := snapshot(t, s, persons, records); got != before {
		t.Fatalf("after the upgrade:\n%s\nbefore:\n%s", got, before)
	}
	// Loading again unwraps the stored keys (no second upgrade).
	k2 := mustLoadKeys(t, s, legacyMaster)
	if ct := k2.Encrypt("v"); ct[0] != 1 {
		t.Fatalf("key id %d", ct[0])
	}
	wantWrongKey(t, s, masterKey(43))
	wantCensus(t, s, "map[record_versions.private:map[1:3] records.private:map[1:7] subjects.id_enc:map[1:6]]")
}

func testRotateMaster(t *testing.T, h Harness) {
	ctx := context.Background()
	k := mustLoadKeys(t, h.Store, masterKey(1))
	s := h.ReopenWith(k)
	persons, records := personalData(t, s)
	before := snapshot(t, s, persons, records)
	k2, err := store.RotateKeys(ctx, keyStore(t, s), k, masterKey(2), false)
	if err != nil {
		t.Fatal(err)
	}
	wantKeyIDs(t, k2, []byte{1}, 1)
	wantWrongKey(t, s, masterKey(1))
	k3 := mustLoadKeys(t, s, masterKey(2))
	s = h.ReopenWith(k3)
	if got := snapshot(t, s, persons, records); got != before {
		t.Fatalf("after rotation:\n%s\nbefore:\n%s", got, before)
	}
	wantCensus(t, s, "map[record_versions.private:map[1:3] records.private:map[1:7] subjects.id_enc:map[1:6]]")
	// A rotation from keys that changed meanwhile is refused.
	stale := k // still under master 1 in memory
	if _, err := store.RotateKeys(ctx, keyStore(t, s), stale, masterKey(3), false); err == nil {
		t.Fatal("rotated with the old master")
	}
}

func testReencrypt(t *testing.T, h Harness) {
	ctx := context.Background()
	persons, records, before := legacyDatabase(t, h)
	ks := keyStore(t, h.Store)
	k := mustLoadKeys(t, h.Store, legacyMaster)
	k2, err := store.RotateKeys(ctx, ks, k, masterKey(2), true)
	if err != nil {
		t.Fatal(err)
	}
	wantKeyIDs(t, k2, []byte{1, 2}, 2)
	wantKeyIDs(t, k, []byte{1}, 1) // the caller's keyring is left alone
	counts, err := store.Reencrypt(ctx, ks, k2, store.ReencryptOptions{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := countsString(counts); got != "subjects.id_enc 6/6 records.private 7/7 record_versions.private 3/3" {
		t.Fatalf("counts %s", got)
	}
	wantCensus(t, h.Store, "map[record_versions.private:map[2:3] records.private:map[2:7] subjects.id_enc:map[2:6]]")
	wantKeyIDs(t, k2, []byte{2}, 2)
	wantWrongKey(t, h.Store, legacyMaster)
	k3 := mustLoadKeys(t, h.Store, masterKey(2))
	wantKeyIDs(t, k3, []byte{2}, 2)
	s := h.ReopenWith(k3)
	if got := snapshot(t, s, persons, records); got != before {
		t.Fatalf("after re-encryption:\n%s\nbefore:\n%s", got, before)
	}
	// New data is encrypted with the new key; hashes did not change.
	put(t, s, startBatch(t, s, "").ID, func() store.RecordInput {
		r := penalty(80, "新")
		r.Private = []byte(`{"x":1}`)
		return r
	}())
	wantCensus(t, s, "map[record_versions.private:map[2:3] records.private:map[2:8] subjects.id_enc:map[2:6]]")
	// Nothing left to do: a second run changes nothing.
	counts, err = store.Reencrypt(ctx, keyStore(t, s), k3, store.ReencryptOptions{})
	if got := countsString(counts); err != nil || got != "subjects.id_enc 0/6 records.private 0/8 record_versions.private 0/3" {
		t.Fatalf("second run: %s %v", got, err)
	}
}

func testReencryptInterrupted(t *testing.T, h Harness) {
	ctx := context.Background()
	persons, records, before := legacyDatabase(t, h)
	ks := keyStore(t, h.Store)
	k := mustLoadKeys(t, h.Store, legacyMaster)
	k2, err := store.RotateKeys(ctx, ks, k, masterKey(2), true)
	if err != nil {
		t.Fatal(err)
	}
	crash := errors.New("killed")
	batches := 0
	_, err = store.Reencrypt(ctx, ks, k2, store.ReencryptOptions{BatchSize: 2, AfterBatch: func(store.EncryptedColumn, int, int) error {
		batches++
		return crash
	}})
	if !errors.Is(err, crash) || batches != 1 {
		t.Fatalf("interrupted run: %v after %d batches", err, batches)
	}
	wantCensus(t, h.Store, "map[record_versions.private:map[1:3] records.private:map[1:7] subjects.id_enc:map[1:4 2:2]]")
	// Both keys are stored: everything reads back with the new master.
	wantWrongKey(t, h.Store, legacyMaster)
	k3 := mustLoadKeys(t, h.Store, masterKey(2))
	wantKeyIDs(t, k3, []byte{1, 2}, 2)
	s := h.ReopenWith(k3)
	if got := snapshot(t, s, persons, records); got != before {
		t.Fatalf("after the interrupted run:\n%s\nbefore:\n%s", got, before)
	}
	// Rotating again resumes with the same new key rather than adding one.
	k4, err := store.RotateKeys(ctx, keyStore(t, s), k3, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	wantKeyIDs(t, k4, []byte{1, 2}, 2)
	if _, err := store.Reencrypt(ctx, keyStore(t, s), k4, store.ReencryptOptions{BatchSize: 2}); err != nil {
		t.Fatalf("second run: %v", err)
	}
	wantCensus(t, s, "map[record_versions.private:map[2:3] records.private:map[2:7] subjects.id_enc:map[2:6]]")
	k5 := mustLoadKeys(t, s, masterKey(2))
	wantKeyIDs(t, k5, []byte{2}, 2)
	s = h.ReopenWith(k5)
	if got := snapshot(t, s, persons, records); got != before {
		t.Fatalf("after the second run:\n%s\nbefore:\n%s", got, before)
	}
}

// testSigningKeyKept: the report signing key is one of the wrapped
// sub-keys: a database from before envelope encryption gets one when its
// keys are first loaded, and neither reloading, rotating the master key
// nor re-encrypting changes it (reports signed with it stay verifiable).
func testSigningKeyKept(t *testing.T, h Harness) {
	ctx := context.Background()
	legacyDatabase(t, h)
	k := mustLoadKeys(t, h.Store, legacyMaster)
	sign, ok := k.SigningKey()
	if !ok {
		t.Fatal("no signing key after LoadKeys of a legacy database")
	}
	pub := sign.Public()
	same := func(k *pii.Keyring, when string) {
		t.Helper()
		got, ok := k.SigningKey()
		if !ok || !got.Equal(sign) {
			t.Fatalf("%s: signing key %v, want the first (%x…)", when, ok, pub)
		}
	}
	same(mustLoadKeys(t, h.Store, legacyMaster), "loaded again")
	s := h.ReopenWith(k)
	k2, err := store.RotateKeys(ctx, keyStore(t, s), k, masterKey(7), true)
	if err != nil {
		t.Fatal(err)
	}
	same(k2, "rotated")
	if _, err := store.Reencrypt(ctx, keyStore(t, s), k2, store.ReencryptOptions{}); err != nil {
		t.Fatal(err)
	}
	same(mustLoadKeys(t, s, masterKey(7)), "re-encrypted, loaded under the new master")
	// A fresh database has one from the start.
	if k, ok := Keys().SigningKey(); ok || k != nil {
		t.Fatal("legacy-derived keys hold a signing key")
	}
}
