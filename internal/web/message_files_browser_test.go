package web

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"interlude/internal/attach/attachtest"
)

// TestBrowserAttachmentsAndEdits (issue #6), in headless Chromium on a
// phone: the client attaches a photo with the compose box's file input
// and sends it; the thread lists the file as a download; an HTML page
// named .png is refused with the error beside the file input, the text
// kept; the client edits the message from its page and the thread says
// "edited". axe-core checks the thread (plain, with a refused file) and
// the message's page at both widths.
func TestBrowserAttachmentsAndEdits(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	site := startCareSite(t)
	client := site.signInClient(t)
	dir := t.TempDir()
	photo, page := filepath.Join(dir, "IMG_0001.jpeg"), filepath.Join(dir, "photo.png")
	if err := os.WriteFile(photo, attachtest.JPEGWithGPS(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, attachtest.HTML(), 0o600); err != nil {
		t.Fatal(err)
	}

	client.open(site.url + "/messages")
	client.fill("#message-text", "My worksheet, photographed")
	client.do("choose a photo", chromedp.SetUploadFiles(chromedp.CSS(`#message-file`), []string{photo}))
	if resp := client.submit("send with a photo", `form[enctype="multipart/form-data"]`); resp.Status >= 400 {
		t.Fatalf("sending a photo: status %d", resp.Status)
	}
	client.wantPath("/messages")
	// The page may be swapping in the thread again, on the message's own
	// live event: wait for the photo's link.
	client.within(10*time.Second, "the photo shows in the thread",
		`(() => { const a = document.querySelector("#thread-list li.message ul.files a"); return !!a && a.textContent.trim() === "IMG_0001.jpg" })()`)
	link := client.attr(`#thread-list li.message ul.files a`, "href")
	if !strings.HasPrefix(link, "/api/v1/clients/"+site.clientID+"/messages/") {
		t.Errorf("the download link %q", link)
	}
	edit := client.attr(`#thread-list li.message:has(ul.files) a[href^="/messages/"]`, "href")

	refused := func(p *person) {
		p.open(site.url + "/messages")
		p.fill("#message-text", "A page")
		p.do("choose an HTML file", chromedp.SetUploadFiles(chromedp.CSS(`#message-file`), []string{page}))
		if resp := p.submit("send an HTML file", `form[enctype="multipart/form-data"]`); resp.Status != http.StatusBadRequest {
			p.t.Fatalf("an HTML file named .png: status %d, want 400", resp.Status)
		}
		if got := p.text("#message-file-error"); !strings.Contains(got, "must be a JPEG or PNG image or a PDF document") {
			p.t.Errorf("the file's error: %q", got)
		}
		if got := p.value("#message-text"); got != "A page" {
			p.t.Errorf("the text after a refused file: %q", got)
		}
	}

	client.open(site.url + edit)
	client.fill("#edit-text", "My worksheet, photographed (page 2)")
	client.submit("save the edit", `form[action="`+edit+`"]`)
	client.wantPath("/messages")
	if client.count(`#thread-list a.edited`) != 1 {
		t.Errorf("the thread does not say edited")
	}

	pages := []struct {
		name string
		path string
		load func(*person)
	}{
		{name: "messages", path: "/messages"},
		{name: "messages with a refused file", load: refused},
		{name: "message versions", path: edit},
	}
	for _, pg := range pages {
		for _, width := range []int64{phoneWidth, deskWidth} {
			t.Run(fmt.Sprintf("%s/%d", pg.name, width), func(t *testing.T) {
				p := client.in(t)
				p.emulate(width)
				if pg.load != nil {
					pg.load(p)
				} else {
					p.open(site.url + pg.path)
				}
				p.checkA11y(axe, pg.name, width)
			})
		}
	}
	site.browser.checkMessages(t)
}
