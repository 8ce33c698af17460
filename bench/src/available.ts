/** Whether a workspace package already exports what a section needs (parts of Parley land over time). */
export async function hasExports(pkg: string, names: string[]): Promise<boolean> {
  try {
    const mod = (await import(pkg)) as Record<string, unknown>;
    return names.every((n) => typeof mod[n] === 'function');
  } catch {
    return false;
  }
}
