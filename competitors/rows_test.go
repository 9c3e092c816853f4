package competitors

import (
	"testing"

	"github.com/sockety-harness/sockety-harness/scenarios"
)

func TestRowsKeepsOrderAndNames(t *testing.T) {
	got := Rows(Row{ID: scenarios.IDRegularResponse, Name: "Regular response (tiny data)"}, Row{ID: scenarios.IDHeartbeat})
	if len(got) != 2 {
		t.Fatalf("got %d rows, want 2", len(got))
	}
	if got[0].Name != "Regular response (tiny data)" || got[0].Scenario.ID != scenarios.IDRegularResponse {
		t.Errorf("row 0 = %q/%q, want the override name on the regular response", got[0].Name, got[0].Scenario.ID)
	}
	hb, _ := scenarios.ByID(scenarios.IDHeartbeat)
	if got[1].Name != hb.Name || got[1].Scenario.ID != scenarios.IDHeartbeat {
		t.Errorf("row 1 = %q/%q, want the catalogue name %q", got[1].Name, got[1].Scenario.ID, hb.Name)
	}
}

func TestRowsRefusesUnknownID(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Rows accepted an unknown scenario ID")
		}
	}()
	Rows(Row{ID: "no-such-scenario"})
}
