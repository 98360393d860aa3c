package web

import (
	"net/url"
	"time"

	"interlude/internal/care"
	"interlude/internal/store"
)

// Samples of the tracker pages for TestEveryPageTemplate (issue #19):
// every field kind, an error on a field, a chart with entries.

func sampleTrackerOverview() (*store.TrackerOverview, time.Time) {
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	var trackers []care.Tracker
	for i, key := range []string{care.TrackerKeySleepDiary, care.TrackerKeyDiaryCard, care.TrackerKeyPanicLog} {
		tmpl := care.TrackerLibraryTemplate(key)
		tmpl.ID = "tmpl" + key
		trackers = append(trackers, care.Tracker{ID: "tr" + string(rune('a'+i)), Template: tmpl, TemplateID: tmpl.ID, TemplateVersion: 1,
			Schedule: tmpl.Schedule, AssignedAt: now.AddDate(0, 0, -10)})
	}
	sleep := trackers[0]
	page := store.TrackerEntryPage{Templates: map[store.TemplateRef]*care.TrackerTemplate{{ID: sleep.TemplateID, Version: 1}: sleep.Template}}
	for d := 0; d < 3; d++ {
		page.Entries = append(page.Entries, care.TrackerEntry{ID: "e" + string(rune('a'+d)), TrackerID: sleep.ID, TemplateID: sleep.TemplateID, TemplateVersion: 1,
			OccurredAt: now.AddDate(0, 0, -d), Shared: true, Discuss: d == 0,
			Values: map[string]care.TrackerValue{"into_bed": {Kind: care.FieldTime, Number: 23 * 60}, "quality": {Kind: care.FieldRating, Number: 2 + d},
				"note": {Kind: care.FieldText, Text: "Late coffee"}}})
	}
	ov := &store.TrackerOverview{TimeZone: "UTC", From: care.DayIn(now.AddDate(0, 0, -29), "UTC"), To: care.DayIn(now, "UTC"),
		Trackers: trackers, Entries: page, Adherence: map[string]care.TrackerAdherence{sleep.ID: {TrackerID: sleep.ID, DueDays: 10, DoneDays: 3, Entries: 3}}}
	return ov, now
}

func sampleTrackersPage(l Layout) *clientTrackersPage {
	ov, now := sampleTrackerOverview()
	return &clientTrackersPage{Layout: l, Days: 30, Trackers: summaries(ov, goalTitles{}, now, true, "tracker-chart-", 3)}
}

func sampleTrackersHome() *trackersHome {
	ov, now := sampleTrackerOverview()
	return &trackersHome{Trackers: summaries(ov, goalTitles{}, now, false, "", 0)}
}

func sampleTrackerForm(l Layout) *trackerFormPage {
	tmpl := care.TrackerLibraryTemplate(care.TrackerKeyDiaryCard)
	panic := care.TrackerLibraryTemplate(care.TrackerKeyPanicLog)
	tmpl.Fields = append(tmpl.Fields, panic.Fields...) // every kind in one form
	p := &trackerFormPage{Layout: l, TrackerID: "tr1", Name: tmpl.Name, Explainer: tmpl.Explainer, Action: "/trackers/tr1/entries",
		Zone: "UTC", OccurredAt: "2026-11-20T15:00", Shared: true, Error: "Nope.", Field: "values.peak", Anchor: "f-peak-0"}
	p.Fields = trackerForm(tmpl, url.Values{"f_peak": {"11"}, "f_skills_used": {"Mindfulness"}}, p.Field)
	for i := range p.Fields {
		if p.Fields[i].Invalid {
			p.Fields[i].Error = p.Error
		}
	}
	return p
}

func sampleProviderTrackers(l Layout) *providerTrackersPage {
	ov, now := sampleTrackerOverview()
	p := &providerTrackersPage{Layout: l, ClientID: "c1", ClientName: "Sam", Days: 30, Trackers: summaries(ov, goalTitles{}, now, true, "tracker-chart-", 5),
		Form: trackerAssignView{Templates: []trackerTemplateChoice{{ID: "t1", Name: "Sleep diary", When: "Daily at 09:00"}},
			Goals: []goalChoice{{ID: "g1", Title: "Sleep"}}, Schedule: "weekdays", Time: "20:00", Error: "The days must be days.", Field: "schedule.weekdays", Anchor: "weekday-1"}}
	for d := 1; d <= 7; d++ {
		p.Form.Weekdays = append(p.Form.Weekdays, trackerOption{ID: "weekday-" + string(rune('0'+d%7)), Value: string(rune('0' + d%7)), Label: weekdayNames[d%7]})
	}
	return p
}

func sampleTrackerLibrary(l Layout) *trackerLibraryPage {
	p := &trackerLibraryPage{Layout: l}
	for i, t := range care.TrackerLibrary() {
		v := trackerTemplateView{ID: "t" + string(rune('a'+i)), Name: t.Name, Explainer: t.Explainer, Version: 1, When: scheduleText(t.Schedule)}
		for _, f := range t.Fields {
			v.Fields = append(v.Fields, trackerFieldSummary{Label: f.Label, Kind: fieldKindNames[f.Kind]})
		}
		p.Templates = append(p.Templates, v)
	}
	return p
}
