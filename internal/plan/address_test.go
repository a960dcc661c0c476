package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestChangesAreInTerraformsOrder(t *testing.T) {
	t.Parallel()
	// Terraform's order: root module first, shallower modules before deeper ones, module
	// names then keys; within a module data sources first, then type, name and key, with
	// number keys compared as numbers and before string keys.
	want := []string{
		"data.aws_region.current",
		"aws_eip.nat[2]",
		"aws_eip.nat[10]",
		"aws_subnet.this",
		`aws_subnet.this["a"]`,
		`module.a["x].y"].aws_vpc.this`,
		`module.a["z"].aws_vpc.this`,
		"module.b.aws_vpc.this",
		"module.a.module.c.aws_vpc.this",
	}
	in := []string{want[8], want[3], want[6], want[2], want[0], want[7], want[5], want[1], want[4]}
	cs := make([]Change, len(in))
	for i, a := range in {
		cs[i] = Change{Address: a}
	}
	sortChanges(cs)
	got := make([]string, len(cs))
	for i, c := range cs {
		got[i] = c.Address
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestADeposedObjectFollowsTheCurrentOne(t *testing.T) {
	t.Parallel()
	cs := []Change{
		{Address: "aws_instance.web", Deposed: "00000001", Action: Delete},
		{Address: "aws_instance.web", Action: Replace},
	}
	sortChanges(cs)
	if cs[0].Deposed != "" || cs[1].Deposed != "00000001" {
		t.Errorf("order = %+v, want the current object first", cs)
	}
}

func TestAddressesThatDoNotParseSortAsText(t *testing.T) {
	t.Parallel()
	cs := []Change{{Address: "weird[address"}, {Address: "aws_x.a"}}
	sortChanges(cs)
	if cs[0].Address != "aws_x.a" {
		t.Errorf("order = %+v, want aws_x.a first", cs)
	}
}
