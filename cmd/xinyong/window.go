package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/web"
)

// maxFavicon is the largest icon --favicon accepts.
const maxFavicon = 256 << 10

// siteInfo reads the footer's settings and the site's icon.
func siteInfo(c config.Config) (web.SiteInfo, error) {
	site := web.SiteInfo{Owner: c.SiteOwner, Contact: c.SiteContact, ICP: c.SiteICP}
	if c.Favicon == "" {
		return site, nil
	}
	b, err := os.ReadFile(c.Favicon)
	if err != nil {
		return site, fmt.Errorf("--favicon: %w", err)
	}
	if len(b) > maxFavicon {
		return site, fmt.Errorf("--favicon %s: %d bytes, at most %d", c.Favicon, len(b), maxFavicon)
	}
	ct := http.DetectContentType(b)
	switch {
	case len(b) > 4 && string(b[:4]) == "\x00\x00\x01\x00":
		ct = "image/x-icon"
	case ct == "image/png":
	case ct == "text/xml; charset=utf-8" || ct == "text/plain; charset=utf-8":
		ct = "image/svg+xml"
	default:
		return site, fmt.Errorf("--favicon %s: %s is not a PNG, ICO or SVG icon", c.Favicon, ct)
	}
	site.Favicon, site.FaviconType = b, ct
	return site, nil
}

// wantsHelp reports whether a command's arguments ask for its help.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help", "--h":
			return true
		}
	}
	return false
}
