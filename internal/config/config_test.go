package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func parse(t *testing.T, e map[string]string, args ...string) (Config, error) {
	t.Helper()
	var c Config
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := Bind(fs, &c, env(e), Serve...); err != nil {
		return c, err
	}
	return c, fs.Parse(args)
}

func TestPrecedence(t *testing.T) {
	c, err := parse(t, nil)
	if err != nil || c.Data != "./xinyong-data" || c.Addr != "127.0.0.1:8080" || c.DemoSubjects != 3000 || c.ShutdownTimeout != 15*time.Second || c.Demo {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, _ = parse(t, map[string]string{"XINYONG_DATA": "/srv/x", "XINYONG_DEMO": "true", "XINYONG_DEMO_SUBJECTS": "10"})
	if c.Data != "/srv/x" || !c.Demo || c.DemoSubjects != 10 {
		t.Fatalf("env: %+v", c)
	}
	c, _ = parse(t, map[string]string{"XINYONG_DATA": "/srv/x"}, "--data", "/tmp/y")
	if c.Data != "/tmp/y" {
		t.Fatalf("flag should win: %+v", c)
	}
}

func TestBadEnvNamed(t *testing.T) {
	_, err := parse(t, map[string]string{"XINYONG_DEMO_SUBJECTS": "many"})
	if err == nil || !strings.Contains(err.Error(), "XINYONG_DEMO_SUBJECTS") {
		t.Fatalf("err = %v", err)
	}
}

func TestSecretFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "key")
	os.WriteFile(f, []byte("secret\n"), 0o600)
	c, err := parse(t, map[string]string{"XINYONG_DATA_KEY_FILE": f})
	if err != nil || c.DataKey != "secret" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := parse(t, map[string]string{"XINYONG_DATA_KEY_FILE": f, "XINYONG_DATA_KEY": "x"}); err == nil {
		t.Fatal("both set accepted")
	}
}

// TestREADMEDocumentsEveryOption keeps the README's configuration table true.
func TestREADMEDocumentsEveryOption(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range Options {
		row := "| `--" + o.Flag + "` | `" + o.Env + "`"
		if !strings.Contains(string(b), row) {
			t.Errorf("README.md has no row starting %q", row)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Size
		ok   bool
	}{
		{"128MiB", 128 << 20, true}, {"1G", 1 << 30, true}, {"1GiB", 1 << 30, true}, {"64 KiB", 64 << 10, true},
		{"65536", 65536, true}, {"512B", 512, true}, {"0", 0, true},
		{"", 0, false}, {"-1M", 0, false}, {"1.5G", 0, false}, {"12MB", 0, false}, {"lots", 0, false}, {"99999999999G", 0, false},
	} {
		got, err := ParseSize(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %t", c.in, got, err, c.want, c.ok)
		}
		if c.ok && c.want != 0 {
			if back, err := ParseSize(got.String()); err != nil || back != got {
				t.Errorf("%q: String() %q reads back as %d, %v", c.in, got.String(), back, err)
			}
		}
	}
}
