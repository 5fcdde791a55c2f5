import { PageHeader } from "@/components/ui/card";
import { CreateOrgForm } from "@/components/orgs/create-org-form";

export default function NewOrgPage() {
  return (
    <div className="max-w-md">
      <PageHeader title="New organization" subtitle="Organizations hold projects, members and tokens." />
      <CreateOrgForm />
    </div>
  );
}
