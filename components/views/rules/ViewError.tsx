import { Alert } from "@/components/ui/Alert";

export function ViewError({ message }: { message: string }) {
  return (
    <Alert tone="error" role="alert" title="This view could not be shown">
      {message}
    </Alert>
  );
}
