package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
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

// demoWindow fills the public window's columns with a little demo content
// (marked 演示数据): public commitments of subjects with 行政许可 records,
// two policy documents, a news item and a 专项治理 campaign. It does
// nothing when the policy column has articles already (a rerun).
func demoWindow(ctx context.Context, s store.Store, log *slog.Logger) error {
	if _, n, err := s.ListArticles(ctx, store.ArticleFilter{Column: "policy", Limit: 1}); err != nil || n > 0 {
		return err
	}
	recs, err := s.LatestRecords(ctx, store.RecordFilter{Kind: "xk", Limit: 40})
	if err != nil {
		return err
	}
	audit := auth.AuditEntry{Actor: "system:demo", Action: auth.AuditCommitment, Outcome: "make"}
	today := calendar.Today()
	var subjects []store.Record
	for _, r := range recs {
		if r.Subject.Class == credit.ClassPerson || r.Subject.USCC == "" {
			continue
		}
		subjects = append(subjects, r)
		if len(subjects) == 8 {
			break
		}
	}
	commitments := 0
	for i, r := range subjects {
		c := store.Commitment{Kind: "审批替代型", SubjectID: r.SubjectID, PromisorName: r.Subject.Name,
			Matter:  "申请办理" + []string{"食品经营许可证", "道路运输经营许可证", "建筑施工许可证", "排污许可证"}[i%4] + "（演示数据）",
			Content: "本单位承诺所提交的材料真实有效，符合许可条件，并按期补交相关证明材料。", Liability: "违背承诺的，依法撤销许可并记入信用记录。",
			MadeOn: today.AddDays(-10 * (i + 1)).String(), ValidUntil: today.AddDays(180).String(),
			AcceptorName: "行政许可决定机关", AcceptorCode: r.SourceDept, Disclosure: store.CommitmentPublic, History: []byte(`[]`)}
		audit.SubjectID = r.SubjectID
		if _, err := s.AddCommitment(ctx, c, r.Subject.Region, audit); err != nil {
			return fmt.Errorf("demo commitment: %w", err)
		}
		commitments++
	}
	art := auth.AuditEntry{Actor: "system:demo", Action: auth.AuditArticle, Outcome: "add"}
	articles := []store.Article{
		{Column: "policy", Title: "社会信用体系建设规划纲要（2014—2020年）", Source: "国务院（国发〔2014〕21号）", PublishedOn: "2014-06-14",
			Body: "演示数据：本文为栏目演示，正文请以中国政府网发布的原文为准。\n\n国务院印发的社会信用体系建设规划纲要，部署加快建设社会信用体系、构筑诚实守信的经济社会环境。"},
		{Column: "policy", Title: "国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见", Source: "国务院（国发〔2016〕33号）",
			PublishedOn: "2016-06-12", Body: "演示数据：本文为栏目演示，正文请以中国政府网发布的原文为准。"},
		{Column: "news", Title: "信用信息平台上线失信投诉举报窗口（演示数据）", Source: "信用办", PublishedOn: today.AddDays(-3).String(),
			Body: "演示数据：平台开通失信投诉举报窗口，社会公众可以在线投诉举报失信行为，凭查询码查看办理进度。"},
		{Column: "campaign", Title: "政务服务领域信用承诺履约专项治理（演示数据）", Source: "信用办", PublishedOn: today.AddDays(-20).String(),
			Body: "演示数据：对作出信用承诺后未按期履约的主体开展专项治理，督促限期整改。"},
	}
	for _, a := range articles {
		a.Author = "system:demo"
		added, err := s.AddArticle(ctx, a, nil, art)
		if err != nil {
			return fmt.Errorf("demo article: %w", err)
		}
		if a.Column == "campaign" {
			for _, r := range subjects[:min(3, len(subjects))] {
				art.SubjectID = r.SubjectID
				if err := s.SetCampaignSubject(ctx, added.ID, r.SubjectID, "信用承诺到期未履约（演示数据）", art); err != nil {
					return err
				}
			}
		}
	}
	log.Info("demo window content", "commitments", commitments, "articles", len(articles))
	return nil
}
