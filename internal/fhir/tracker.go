package fhir

import (
	"fmt"
	"strings"

	"interlude/internal/care"
)

// Trackers (issue #19): a template version is a Questionnaire, an entry a
// QuestionnaireResponse to it, and the entry's main measure an Observation
// derived from the response, so a chart can be read without the form.
// These are mapping functions only; docs/fhir.md says how they join a
// record's resources.

// StructureDefinitionBase is the canonical base of Interlude's own
// extensions.
const StructureDefinitionBase = "https://interlude.example/fhir/StructureDefinition/"

// Interlude's extensions of a tracker's QuestionnaireResponse: when what
// it records happened (authored is when the answers last changed), and
// the client's "bring this up next session".
const (
	ExtOccurredAt = StructureDefinitionBase + "tracker-occurred-at"
	ExtDiscuss    = StructureDefinitionBase + "discuss-next-session"
)

// HL7 extensions and codes the tracker Questionnaires use.
const (
	extMinValue    = "http://hl7.org/fhir/StructureDefinition/minValue"
	extMaxValue    = "http://hl7.org/fhir/StructureDefinition/maxValue"
	extUnit        = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
	extItemControl = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
	itemControl    = "http://hl7.org/fhir/questionnaire-item-control"
)

// TrackerQuestionnaireURL is the canonical URL of a tracker template's
// Questionnaires; each version has the same URL and its own version.
func TrackerQuestionnaireURL(templateID string) string {
	return QuestionnaireBase + "tracker-" + templateID
}

// TrackerQuestionnaireID is the resource id of one version of a tracker
// template's Questionnaire: "tracker-<template>-v<version>".
func TrackerQuestionnaireID(templateID string, version int) string {
	return fmt.Sprintf("tracker-%s-v%d", templateID, version)
}

// TrackerQuestionnaire returns one version of a tracker template as a
// Questionnaire: its url from the template's id, its version the
// template's, one item per field with the field's id as linkId, in order.
// A rating is an integer item bounded by the minValue and maxValue
// extensions, its anchors child display items (item control lower and
// upper); a duration an integer in minutes (questionnaire-unit); a time a
// time; a choice a choice whose options are the field's own strings
// (repeats for several); a text a string or text with maxLength; an
// explainer a display item. A field's help is a child display item
// (item control help); the main measure's item is coded tracker_main.
func TrackerQuestionnaire(t *care.TrackerTemplate) Resource {
	items := make([]any, 0, len(t.Fields))
	for i := range t.Fields {
		items = append(items, trackerItem(&t.Fields[i]))
	}
	status := "active"
	if t.Retired() {
		status = "retired"
	}
	return obj(
		"resourceType", "Questionnaire",
		"id", TrackerQuestionnaireID(t.ID, t.Version),
		"meta", obj("versionId", fmt.Sprint(t.Version), "lastUpdated", instant(t.CreatedAt)),
		"url", TrackerQuestionnaireURL(t.ID),
		"version", fmt.Sprint(t.Version),
		"name", computableName(t.Key),
		"title", t.Name,
		"status", status,
		"subjectType", []any{"Patient"},
		"date", instant(t.CreatedAt),
		"description", t.Explainer,
		"code", []any{obj("system", CodeSystemURL, "code", "tracker", "display", display("tracker"))},
		"item", items,
	)
}

func trackerItem(f *care.TrackerField) map[string]any {
	if f.Kind == care.FieldInfo {
		return obj("linkId", f.ID, "type", "display", "text", strings.Join(nonEmpty(f.Label, f.Help), "\n\n"))
	}
	item := obj("linkId", f.ID, "text", f.Label)
	if f.Main {
		item["code"] = []any{obj("system", CodeSystemURL, "code", "tracker_main", "display", display("tracker_main"))}
	}
	var ext, children []any
	bounds := func(lo, hi int) {
		ext = append(ext, obj("url", extMinValue, "valueInteger", lo), obj("url", extMaxValue, "valueInteger", hi))
	}
	switch f.Kind {
	case care.FieldRating:
		item["type"] = "integer"
		bounds(f.Min, f.Max)
		if f.MinLabel != "" {
			children = append(children, displayItem(f.ID+"-lower", f.MinLabel, "lower"))
		}
		if f.MaxLabel != "" {
			children = append(children, displayItem(f.ID+"-upper", f.MaxLabel, "upper"))
		}
	case care.FieldYesNo:
		item["type"] = "boolean"
	case care.FieldCount:
		item["type"] = "integer"
		hi := f.Max
		if hi == 0 {
			hi = care.MaxTrackerCount
		}
		bounds(0, hi)
	case care.FieldDuration:
		item["type"] = "integer"
		bounds(0, care.MaxTrackerDuration)
		ext = append(ext, obj("url", extUnit, "valueCoding", obj("system", UCUM, "code", "min", "display", "minutes")))
	case care.FieldTime:
		item["type"] = "time"
	case care.FieldChoice, care.FieldMultiChoice:
		item["type"] = "choice"
		options := make([]any, len(f.Options))
		for i, o := range f.Options {
			options[i] = obj("valueString", o)
		}
		item["answerOption"] = options
		if f.Kind == care.FieldMultiChoice {
			item["repeats"] = true
		}
	case care.FieldText:
		item["type"] = "string"
		item["maxLength"] = f.MaxLen
	case care.FieldLongText:
		item["type"] = "text"
		item["maxLength"] = f.MaxLen
	}
	if f.Required {
		item["required"] = true
	}
	if f.Help != "" {
		children = append([]any{displayItem(f.ID+"-help", f.Help, "help")}, children...)
	}
	if len(ext) > 0 {
		item["extension"] = ext
	}
	if len(children) > 0 {
		item["item"] = children
	}
	if f.MaxLen == 0 {
		delete(item, "maxLength")
	}
	return item
}

// displayItem is a display item rendered as control, for the help text
// or a rating's anchors.
func displayItem(linkID, text, control string) map[string]any {
	return obj(
		"extension", []any{obj("url", extItemControl, "valueCodeableConcept",
			obj("coding", []any{obj("system", itemControl, "code", control)}))},
		"linkId", linkID,
		"text", text,
		"type", "display",
	)
}

// TrackerResponse returns an entry as a QuestionnaireResponse to t, which
// must be the template version the entry was written against: its
// questionnaire is the url|version of the version the entry names (t's
// when it names none), and each answered field of t is an item
// with the field's id as linkId, in the template's order. A private entry
// (which only the client's own record holds) is labelled restricted, as
// a private journal entry is.
func TrackerResponse(t *care.TrackerTemplate, e *care.TrackerEntry) Resource {
	var items []any
	for i := range t.Fields {
		f := &t.Fields[i]
		v, ok := e.Values[f.ID]
		if !ok || f.Kind == care.FieldInfo || v.Kind != f.Kind {
			continue
		}
		answers := trackerAnswers(v)
		if len(answers) == 0 {
			continue
		}
		items = append(items, obj("linkId", f.ID, "text", f.Label, "answer", answers))
	}
	ext := []any{obj("url", ExtOccurredAt, "valueDateTime", instant(e.OccurredAt))}
	if e.Discuss {
		ext = append(ext, obj("url", ExtDiscuss, "valueBoolean", true))
	}
	// The version the entry was written against, as it says; t is the
	// caller's copy of that version, for the labels.
	tid, version := e.TemplateID, e.TemplateVersion
	if tid == "" || version == 0 {
		tid, version = t.ID, t.Version
	}
	patient := ref("Patient/"+e.ClientID, "")
	return obj(
		"resourceType", "QuestionnaireResponse",
		"id", e.ID,
		"meta", entryMeta(e),
		"extension", ext,
		"questionnaire", TrackerQuestionnaireURL(tid)+"|"+fmt.Sprint(version),
		"status", "completed",
		"subject", patient,
		"authored", instant(latest(e.CreatedAt, e.UpdatedAt)),
		"author", patient,
		"source", patient,
		"item", items,
	)
}

// trackerAnswers are the answers of one typed value, as the item type of
// its field asks: valueInteger, valueBoolean, valueTime, valueString (one
// per choice).
func trackerAnswers(v care.TrackerValue) []any {
	switch v.Kind {
	case care.FieldRating, care.FieldCount, care.FieldDuration:
		return []any{obj("valueInteger", v.Number)}
	case care.FieldYesNo:
		return []any{obj("valueBoolean", v.Bool)}
	case care.FieldTime:
		return []any{obj("valueTime", care.FormatClock(v.Number)+":00")}
	case care.FieldChoice, care.FieldMultiChoice:
		out := make([]any, 0, len(v.Choices))
		for _, c := range v.Choices {
			out = append(out, obj("valueString", c))
		}
		return out
	case care.FieldText, care.FieldLongText:
		if v.Text == "" {
			return nil
		}
		return []any{obj("valueString", v.Text)}
	}
	return nil
}

// TrackerObservation returns an entry's main measure as an Observation
// derived from its QuestionnaireResponse: coded tracker_main, its text
// the tracker's name and the field's label; a rating or count as an
// integer, a duration as a quantity in minutes, a yes/no as a boolean.
// It is nil when t has no main measure or the entry gave it no value.
func TrackerObservation(t *care.TrackerTemplate, e *care.TrackerEntry) Resource {
	f := t.MainField()
	if f == nil {
		return nil
	}
	v, ok := e.Values[f.ID]
	if !ok || v.Kind != f.Kind {
		return nil
	}
	o := obj(
		"resourceType", "Observation",
		"id", e.ID+"-main",
		"meta", entryMeta(e),
		"status", "final",
		"category", []any{category("survey")},
		"code", obj("coding", []any{obj("system", CodeSystemURL, "code", "tracker_main", "display", display("tracker_main"))},
			"text", t.Name+": "+f.Label),
		"subject", ref("Patient/"+e.ClientID, ""),
		"effectiveDateTime", instant(e.OccurredAt),
		"issued", instant(e.CreatedAt),
		"performer", []any{ref("Patient/"+e.ClientID, "")},
		"derivedFrom", []any{ref("QuestionnaireResponse/"+e.ID, "")},
	)
	switch v.Kind {
	case care.FieldYesNo:
		o["valueBoolean"] = v.Bool
	case care.FieldDuration:
		o["valueQuantity"] = obj("value", v.Number, "unit", "min", "system", UCUM, "code", "min")
	default:
		o["valueInteger"] = v.Number
	}
	return o
}

// TrackerEntryResources returns an entry's resources: its
// QuestionnaireResponse, then its main measure's Observation when it has
// one.
func TrackerEntryResources(t *care.TrackerTemplate, e *care.TrackerEntry) []Resource {
	out := []Resource{TrackerResponse(t, e)}
	if o := TrackerObservation(t, e); o != nil {
		out = append(out, o)
	}
	return out
}

// entryMeta is the meta of an entry's resources: when it last changed,
// and its confidentiality, N when shared, R (restricted) when private.
func entryMeta(e *care.TrackerEntry) map[string]any {
	label := "N"
	if !e.Shared {
		label = "R"
	}
	return obj(
		"lastUpdated", instant(latest(e.CreatedAt, e.UpdatedAt)),
		"security", []any{obj("system", confidentiality, "code", label)},
	)
}

// computableName turns a template key ("dbt_diary_card") into a
// Questionnaire name ("DbtDiaryCard"): a letter first, then letters and
// digits. "" for no key.
func computableName(key string) string {
	var b strings.Builder
	for _, part := range strings.Split(key, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	s := b.String()
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return ""
	}
	return s
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
