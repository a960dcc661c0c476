package terraform

import "testing"

func TestPlanTextKeepsThePlanAndDropsServerDetails(t *testing.T) {
	t.Parallel()
	// What Terraform 1.5 prints for `init` then `plan -no-color -out=/srv/gantry/work/job-7/p.tfplan`
	// on a project with state: init chatter, refresh progress, the plan, then the saved-plan note.
	log := `
Initializing the backend...

Terraform has been successfully initialized!
terraform_data.task[0]: Refreshing state... [id=5f1c]

Terraform used the selected providers to generate the following execution
plan. Resource actions are indicated with the following symbols:
  + create

Terraform will perform the following actions:

  # terraform_data.task[1] will be created
  + resource "terraform_data" "task" {
      + id = (known after apply)
    }

Plan: 1 to add, 0 to change, 0 to destroy.

─────────────────────────────────────────────────────────────────────────────

Saved the plan to: /srv/gantry/work/job-7/p.tfplan

To perform exactly these actions, run the following command to apply:
    terraform apply "/srv/gantry/work/job-7/p.tfplan"
`
	want := `Terraform used the selected providers to generate the following execution
plan. Resource actions are indicated with the following symbols:
  + create

Terraform will perform the following actions:

  # terraform_data.task[1] will be created
  + resource "terraform_data" "task" {
      + id = (known after apply)
    }

Plan: 1 to add, 0 to change, 0 to destroy.
`
	if got := planText(log); got != want {
		t.Errorf("planText:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlanTextOfANoChangesPlan(t *testing.T) {
	t.Parallel()
	log := "terraform_data.x: Refreshing state... [id=1]\n\nNo changes. Your infrastructure matches the configuration.\n\n" +
		"Terraform has compared your real infrastructure against your configuration\nand found no differences, so no changes are needed.\n"
	want := "No changes. Your infrastructure matches the configuration.\n\n" +
		"Terraform has compared your real infrastructure against your configuration\nand found no differences, so no changes are needed.\n"
	if got := planText(log); got != want {
		t.Errorf("planText = %q, want %q", got, want)
	}
}
