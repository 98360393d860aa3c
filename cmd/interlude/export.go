package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"interlude/internal/fhir"
	"interlude/internal/jobs"
	"interlude/internal/store"
)

// exportCmd is "interlude export --out DIR": a clinic's records as FHIR R4
// bulk NDJSON in a folder, one file per resource type and the manifest,
// the same files as an admin's $export (issue #8). It is the operator's
// export: each client's record is read as the care team sees it (no
// private journal entry) and audited as read by the system, one row per
// client whose record is in the files; --since keeps what changed after a
// FHIR instant, as $export's _since. The files are PHI in the clear: the folder is made readable by
// its owner only, and what is done with it is the operator's charge.
func exportCmd(ctx context.Context, e *env, args []string) (err error) {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	clinicID := fs.String("clinic", "", "the id of the clinic to export (default: the database's only clinic)")
	out := fs.String("out", "", "the folder to write the files into; created if missing, and must be empty")
	types := fs.String("type", "", "the resource types to export, comma-separated (default: all)")
	sinceFlag := fs.String("since", "", "export only resources changed after this FHIR instant, e.g. 2026-11-01T00:00:00Z (as $export's _since; default: everything)")
	var db dbFlags
	db.register(fs, e)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if strings.TrimSpace(*out) == "" {
		return errors.New("export: --out DIR is required")
	}
	var typeList []string
	for t := range strings.SplitSeq(*types, ",") {
		if t = strings.TrimSpace(t); t != "" {
			if !slices.Contains(fhir.Types, t) {
				return fmt.Errorf("export: --type %q is not a resource type Interlude exports", t)
			}
			typeList = append(typeList, t)
		}
	}
	var since time.Time
	request := ""
	if *sinceFlag != "" {
		t, err := fhir.ParseInstant(*sinceFlag)
		if err != nil {
			return fmt.Errorf("export: --since %v", err)
		}
		since, request = t, " --since "+*sinceFlag
	}
	if err := emptyFolder(*out); err != nil {
		return err
	}
	st, eng, _, err := db.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeJoined(&err, eng)
	id, err := exportClinic(ctx, st, *clinicID)
	if err != nil {
		return err
	}

	exp, err := st.StartOperatorExport(ctx, id, typeList, since, "interlude export --clinic "+id+request)
	if err != nil {
		return fmt.Errorf("export: %v", userMessage(err))
	}
	// The export's rows are deleted once written out, or by its expiry if
	// this process dies first (or the deletion fails, which is reported).
	expID := exp.ID
	defer func() {
		if derr := st.DeleteOperatorExport(context.WithoutCancel(ctx), expID); derr != nil {
			err = errors.Join(err, fmt.Errorf("export: deleting the export's copy in the database (its expiry will): %w", derr))
		}
	}()
	if err := jobs.RunBulkExport(ctx, st, exp.ID); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	exp, files, err := st.BulkExportFiles(ctx, exp.ID)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if !exp.Done() {
		return errors.New("export: the export did not finish")
	}
	m := exportManifest{TransactionTime: exp.CreatedAt, Request: exp.Request, Output: []exportOutput{}, Error: []exportOutput{}}
	total := 0
	for _, f := range files {
		name := f.Type + ".ndjson"
		n, err := writeExportFile(ctx, st, exp.ID, f.Type, filepath.Join(*out, name))
		if err != nil {
			return err
		}
		m.Output = append(m.Output, exportOutput{Type: f.Type, URL: name, Count: n})
		total += n
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "manifest.json"), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	_, err = fmt.Fprintf(e.stdout, "Exported %d client records of clinic %s: %d resources in %d files, and manifest.json, in %s\n",
		exp.ClientsDone, id, total, len(files), *out)
	return err
}

// exportManifest is the manifest of an operator's export: the IG's, with
// file names for URLs.
type exportManifest struct {
	TransactionTime     time.Time      `json:"transactionTime"`
	Request             string         `json:"request"`
	RequiresAccessToken bool           `json:"requiresAccessToken"`
	Output              []exportOutput `json:"output"`
	Error               []exportOutput `json:"error"`
}

type exportOutput struct {
	Type  string `json:"type"`
	URL   string `json:"url"`
	Count int    `json:"count"`
}

// exportClinic is the clinic to export: the one named, or the database's
// only one.
func exportClinic(ctx context.Context, st *store.Store, id string) (string, error) {
	clinics, err := st.Clinics(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range clinics {
		if id == "" && len(clinics) == 1 || c.ID == id {
			return c.ID, nil
		}
	}
	if id == "" {
		return "", fmt.Errorf("export: the database holds %d clinics: name one with --clinic ID", len(clinics))
	}
	return "", fmt.Errorf("export: no clinic has the id %q", id)
}

// emptyFolder makes dir, readable by its owner only, or checks that it is
// empty: an export never overwrites or mixes with other files.
func emptyFolder(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	names, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if len(names) > 0 {
		return fmt.Errorf("export: %s is not empty; name a new or empty folder", dir)
	}
	return nil
}

// writeExportFile writes one NDJSON file, readable by its owner only, and
// returns its line count.
func writeExportFile(ctx context.Context, st *store.Store, id, rt, path string) (int, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	n, err := st.OperatorExportFile(ctx, id, rt, func(b []byte) error {
		_, err := f.Write(b)
		return err
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("export: writing %s: %w", filepath.Base(path), err)
	}
	return n, nil
}
