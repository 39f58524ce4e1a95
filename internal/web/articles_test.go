package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
)

// TestArticleEditAddsFiles: an editor adds attachments when editing an
// article (they were dropped before); more than five in all is refused,
// saying how many there are, and changes nothing.
func TestArticleEditAddsFiles(t *testing.T) {
	t.Parallel()
	env := newObjectionEnv(t)
	u := auth.User{Login: "editor", Name: "栏目编辑", OrgID: env.root.ID, Roles: []string{"editor"}, PasswordHash: testPasswordHash()}
	if _, err := env.s.CreateUser(context.Background(), u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
	ed := env.as(t, "editor")
	fields := func(page string, rev string) url.Values {
		v := url.Values{"csrf": {ed.csrf(page)}, "col": {"policy"}, "title": {"陕西省社会信用条例"}, "source": {"陕西省人大常委会"},
			"published_on": {calendar.Today().String()}, "body": {"第一条 为了推进社会信用体系建设。"}}
		if rev != "" {
			v.Set("rev", rev)
		}
		return v
	}
	code, body, h := postFiles(ed, "/articles", "files", fields("/articles/new?col=policy", ""), upload{"条例.png", pngProof})
	if code != http.StatusSeeOther {
		t.Fatalf("publish: %d %s", code, body)
	}
	path := h.Get("Location")
	files := func() int {
		_, page := ed.get(path)
		return len(regexp.MustCompile(`href="`+path+`/files/\d+"`).FindAllString(page, -1))
	}
	if n := files(); n != 1 {
		t.Fatalf("%d files after publishing", n)
	}
	if _, page := ed.get(path + "/edit"); !strings.Contains(page, `id="existing-files"`) || !strings.Contains(page, "条例.png") {
		t.Errorf("the edit form does not show the files it has")
	}
	code, body, _ = postFiles(ed, path, "files", fields(path+"/edit", "1"), upload{"解读.png", pngProof}, upload{"附表.png", pngProof})
	if code != http.StatusSeeOther {
		t.Fatalf("edit with two files: %d %s", code, body)
	}
	if n := files(); n != 3 {
		t.Fatalf("%d files after the edit, want 3", n)
	}
	code, body, _ = postFiles(ed, path, "files", fields(path+"/edit", "2"), upload{"4.png", pngProof}, upload{"5.png", pngProof}, upload{"6.png", pngProof})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "附件最多5个文件，本文已有3个，又选择了3个") {
		t.Fatalf("six files in all: %d %s", code, body)
	}
	if n := files(); n != 3 {
		t.Fatalf("%d files after a refused edit", n)
	}
	// The refused edit changed nothing: revision 2 is still current.
	if code, _, _ := postFiles(ed, path, "files", fields(path+"/edit", "2")); code != http.StatusSeeOther {
		t.Errorf("edit at revision 2 after the refusal: %d", code)
	}
}
