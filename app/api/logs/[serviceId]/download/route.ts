import { getDb } from "@/db/client";
import { auth } from "@/server/auth/auth";
import { logDownloadResponse } from "@/server/logs/download-response";

export async function GET(request: Request, { params }: { params: Promise<{ serviceId: string }> }) {
  const { serviceId } = await params;
  return logDownloadResponse({
    db: await getDb(),
    request,
    serviceId,
    sessionUser: async () => {
      const u = (await auth())?.user;
      return u?.id && u.email ? { id: u.id, email: u.email } : null;
    },
  });
}
