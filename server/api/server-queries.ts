import "server-only";
import { cache } from "react";
import { notFound } from "next/navigation";
import { TRPCError } from "@trpc/server";
import { getServerCaller } from "./server-caller";

/** Runs a query for a page; a resource the caller cannot see renders the 404 page. */
async function orNotFound<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) notFound();
    throw err;
  }
}

export const getOrgBySlug = cache(async (slug: string) => orNotFound(async () => (await getServerCaller()).organization.get({ slug })));

export const getProjectByName = cache(async (orgSlug: string, name: string) => {
  const org = await getOrgBySlug(orgSlug);
  return orNotFound(async () => (await getServerCaller()).project.get({ orgId: org.id, name }));
});

export const getEnvironmentByName = cache(async (orgSlug: string, projectName: string, name: string) => {
  const project = await getProjectByName(orgSlug, projectName);
  return orNotFound(async () => (await getServerCaller()).environment.get({ projectId: project.id, name }));
});

export const getServiceByName = cache(async (orgSlug: string, projectName: string, envName: string, name: string) => {
  const env = await getEnvironmentByName(orgSlug, projectName, envName);
  return orNotFound(async () => (await getServerCaller()).service.get({ environmentId: env.id, name }));
});
