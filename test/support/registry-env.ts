/**
 * The schema registry the e2e tests talk to, from SCHEMA_REGISTRY_URL (set by
 * test/global-setup.ts, which starts Apicurio Registry, or by you for one that runs, e.g.
 * `export $(npm run -s registry -- start)`): the base URL of its Confluent-compatible API.
 */
export function testRegistryUrl(): string {
  const url = process.env.SCHEMA_REGISTRY_URL?.trim();
  if (!url) {
    throw new Error(
      'SCHEMA_REGISTRY_URL is not set: run e2e tests through the jest "e2e" project (its ' +
        'globalSetup starts Apicurio Registry) or export the URL of a running registry.',
    );
  }
  return url;
}

/** The schema with this id, read straight from the registry's REST API (not through lib/). */
export async function schemaById(
  url: string,
  id: number,
): Promise<{ schema: string; schemaType?: string }> {
  const res = await fetch(`${url}/schemas/ids/${id}`);
  if (!res.ok) throw new Error(`GET ${url}/schemas/ids/${id} answered ${res.status}`);
  return (await res.json()) as { schema: string; schemaType?: string };
}

/** The versions of a subject, straight from the REST API. */
export async function subjectVersions(url: string, subject: string): Promise<number[]> {
  const res = await fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`);
  if (!res.ok) throw new Error(`GET versions of ${subject} answered ${res.status}`);
  return (await res.json()) as number[];
}
