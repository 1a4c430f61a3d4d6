// app/Dockerfile and .dockerignore, checked without a Docker engine: the stages, the pinned bases, the
// distroless non-root runtime, the entrypoint, the labels, and that every file the Dockerfile copies from the
// build context exists and survives .dockerignore while node_modules, reports and .git do not.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import dockerignoreModule from "@balena/dockerignore";
import { DockerfileParser } from "dockerfile-ast";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, read } from "./repo.ts";

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Dockerfile instructions (dockerfile-ast): continuation lines joined, flags kept in the arguments. */
function parseDockerfile(text: string): Instruction[] {
  return DockerfileParser.parse(text)
    .getInstructions()
    .map((instruction) => ({
      keyword: instruction.getKeyword(),
      args: instruction.getTextContent().replace(/\\\n/g, " ").trim().split(/\s+/).slice(1).join(" "),
      line: instruction.getRange().start.line + 1,
    }));
}

/** Stages: FROM's image and name, and the instructions that follow it. */
function stages(instructions: Instruction[]) {
  const result: { image: string; name: string; platform?: string; body: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const tokens = instruction.args.split(" ");
      const platform = tokens.find((t) => t.startsWith("--platform="));
      const rest = tokens.filter((t) => !t.startsWith("--"));
      result.push({ image: rest[0] as string, name: rest[2] ?? "", platform, body: [] });
    } else {
      result.at(-1)?.body.push(instruction);
    }
  }
  return result;
}

// The package is CommonJS (module.exports = factory) but its types declare `export default`: Node hands us the
// factory, TypeScript (nodenext) thinks it is the namespace.
const createDockerignore = dockerignoreModule as unknown as typeof dockerignoreModule.default;

/** Docker's own .dockerignore matching (@balena/dockerignore, a port of moby's fileutils). */
function dockerignore(text: string): (path: string) => boolean {
  const rules = createDockerignore({ ignorecase: false }).add(text);
  return (path) => rules.ignores(path);
}

const dockerfile = read("app/Dockerfile");
const instructions = parseDockerfile(dockerfile);
const built = stages(instructions);
const runtime = built.at(-1) as (typeof built)[number];
const isIgnored = dockerignore(read(".dockerignore"));

describe("app/Dockerfile", () => {
  it("is multi-stage: manifests, build and prod-deps on node:26 slim, runtime on distroless Node.js 26", () => {
    expect(built.map((stage) => stage.name)).toEqual(["manifests", "build", "prod-deps", "runtime"]);
    for (const stage of built.slice(0, 3)) expect(stage.image).toBe("node:26.10.0-trixie-slim");
    expect(runtime.image).toBe("gcr.io/distroless/nodejs26-debian13:nonroot");
    // The pinned Node.js of the lab is the build image's.
    expect(built[0]?.image).toContain(/^NODE_VERSION=(\S+)$/m.exec(read("scripts/versions.env"))?.[1] as string);
  });

  it("pins every base image by an exact tag, never latest", () => {
    for (const stage of built) {
      expect(stage.image, stage.name).toMatch(/^[\w./-]+:[\w.-]+(@sha256:[0-9a-f]{64})?$/);
      expect(stage.image, stage.name).not.toMatch(/:latest\b/);
    }
  });

  it("builds with tsc from the workspace, and installs only production dependencies for the runtime", () => {
    const runs = (name: string) =>
      built
        .find((stage) => stage.name === name)
        ?.body.filter((i) => i.keyword === "RUN")
        .map((i) => i.args)
        .join("\n") ?? "";
    expect(runs("build")).toMatch(/npm ci --workspace app --ignore-scripts/);
    expect(runs("build")).toMatch(/npm run build --workspace app/);
    expect(runs("prod-deps")).toMatch(/npm ci --workspace app --omit=dev/);
    expect(JSON.parse(read("app/package.json")).scripts.build).toMatch(/^tsc /);
  });

  it("runs as the distroless nonroot user, read-only-friendly, with the one binary's entrypoint", () => {
    const body = runtime.body;
    const last = (keyword: string) => body.filter((i) => i.keyword === keyword).at(-1)?.args;
    expect(last("USER")).toBe("65532:65532");
    expect(JSON.parse(last("ENTRYPOINT") as string)).toEqual(["/nodejs/bin/node", "app/dist/main.js"]);
    expect(JSON.parse(last("CMD") as string)).toEqual(["serve"]);
    expect(last("EXPOSE")).toBe("8080");
    expect(
      body
        .filter((i) => i.keyword === "ENV")
        .map((i) => i.args)
        .join(" "),
    ).toMatch(/NODE_ENV=production/);
    // No RUN in the runtime stage: there is no shell to run it with.
    expect(body.filter((i) => i.keyword === "RUN")).toEqual([]);
    // The entrypoint's script is what tsc emits for app/src/main.ts.
    expect(existsSync(join(REPO_ROOT, "app", "src", "main.ts"))).toBe(true);
    expect(JSON.parse(read("app/tsconfig.build.json")).compilerOptions).toMatchObject({ rootDir: "src", outDir: "dist" });
  });

  it("carries the OCI labels, from build args", () => {
    const labels = runtime.body
      .filter((i) => i.keyword === "LABEL")
      .map((i) => i.args)
      .join(" ");
    for (const key of ["title", "description", "source", "licenses", "version", "revision"]) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
    expect(labels).toContain(`org.opencontainers.image.version="\${VERSION}"`);
    expect(labels).toContain(`org.opencontainers.image.revision="\${REVISION}"`);
    const args = runtime.body.filter((i) => i.keyword === "ARG").map((i) => i.args.split("=")[0]);
    expect(args).toEqual(expect.arrayContaining(["VERSION", "REVISION", "SOURCE"]));
  });

  it("copies into the runtime only the app's dist, migrations, lua, package.json, openapi.json and node_modules", () => {
    const copies = runtime.body.filter((i) => i.keyword === "COPY").map((i) => i.args);
    const destinations = copies.map((args) => args.split(" ").at(-1));
    expect(destinations.sort()).toEqual(
      ["./node_modules", "./app/node_modules", "./app/dist", "./app/", "./app/migrations", "./app/lua"].sort(),
    );
    const fromContext = copies.filter((args) => !args.startsWith("--from="));
    expect(fromContext.flatMap((args) => args.split(" ").slice(0, -1)).sort()).toEqual(
      ["app/lua", "app/migrations", "app/openapi.json", "app/package.json"].sort(),
    );
  });

  it("copies from the build context only files that exist and that .dockerignore lets through", () => {
    const sources = instructions
      .filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from="))
      .flatMap((i) => i.args.split(" ").slice(0, -1))
      .filter((source) => source !== ".");
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
      expect(isIgnored(source), `${source} is excluded by .dockerignore`).toBe(false);
    }
    // Inside the allowed folders too, e.g. the service's sources and SQL.
    const tracked = execFileSync("git", ["ls-files", "app/src", "app/migrations", "app/lua"], { cwd: REPO_ROOT, encoding: "utf8" })
      .trim()
      .split("\n");
    for (const file of tracked) expect(isIgnored(file), file).toBe(false);
    // The manifests stage reads every workspace's package.json and the lockfile.
    const workspaces = JSON.parse(read("package.json")).workspaces as string[];
    for (const file of ["package.json", "package-lock.json", "tsconfig.json", ...workspaces.map((w) => `${w}/package.json`)]) {
      expect(isIgnored(file), file).toBe(false);
    }
  });
});

describe("package-lock.json", () => {
  // The images and the Makefile install with `npm ci`, which takes exactly what the lock lists: a platform's
  // optional binary missing from it (TypeScript 7's native compiler for an arm64 builder, say) is not installed.
  it("lists every optional dependency of every locked package, for every platform", () => {
    const lock = JSON.parse(read("package-lock.json")) as {
      packages: Record<string, { optionalDependencies?: Record<string, string> }>;
    };
    const locked = new Set(Object.keys(lock.packages).map((path) => path.replace(/^.*node_modules\//, "")));
    const missing = Object.entries(lock.packages).flatMap(([path, entry]) =>
      Object.keys(entry.optionalDependencies ?? {})
        .filter((name) => !locked.has(name))
        .map((name) => `${path} -> ${name}`),
    );
    expect(missing).toEqual([]);
  });
});

describe(".dockerignore", () => {
  it("keeps node_modules, build output, reports, .git and local state out of the context", () => {
    for (const path of [
      "node_modules/express/package.json",
      "app/node_modules/.bin/tsc",
      "k6/node_modules/x",
      "app/dist/main.js",
      "reports/2026-11-01/results.json",
      ".git/HEAD",
      ".local/state",
      "k6/scripts/11-send-flow.ts",
      "charts/otp-service/Chart.yaml",
      "cdk8s/src/main.ts",
      "README.md",
    ]) {
      expect(isIgnored(path), path).toBe(true);
    }
  });

  it("is read the way Docker reads it (a sanity check of the test's own matcher)", () => {
    const ignore = dockerignore("*\n!keep\n!*/package.json\n**/node_modules\n");
    expect(ignore("other")).toBe(true);
    expect(ignore("keep/file")).toBe(false);
    expect(ignore("a/package.json")).toBe(false);
    expect(ignore("a/b/package.json")).toBe(true);
    expect(ignore("keep/node_modules/x")).toBe(true);
  });
});

describe("the scripts", () => {
  it.each(["kind/kind-up.sh", "kind/kind-down.sh", "scripts/bench-cluster.sh"])("%s passes bash -n and is strict", (script) => {
    const path = join(REPO_ROOT, script);
    execFileSync("bash", ["-n", path]);
    expect(readFileSync(path, "utf8")).toMatch(/^#!\/usr\/bin\/env bash\n[\s\S]*^set -euo pipefail$/m);
  });
});

// ---- operator/Dockerfile ----------------------------------------------------------------------------------------
const operatorInstructions = parseDockerfile(read("operator/Dockerfile"));
const operatorStages = stages(operatorInstructions);
const operatorRuntime = operatorStages.at(-1) as (typeof operatorStages)[number];
const operatorIgnored = dockerignore(read("operator/Dockerfile.dockerignore"));
/** Build-context paths the runtime stage copies (files or folders). */
const operatorCopied = operatorRuntime.body
  .filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from="))
  .flatMap((i) => i.args.split(" ").slice(0, -1));
const isCopied = (file: string) => operatorCopied.some((source) => file === source || file.startsWith(`${source}/`));

/** The import specifiers a TypeScript file loads at run time (`import type` is erased; `import { type X }` is not). */
function runtimeImports(source: string): string[] {
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?["']([^"']+)["']/gm)) {
    if (!match[2]) specifiers.push(match[3] as string);
  }
  return specifiers;
}

describe("operator/Dockerfile", () => {
  it("follows app/Dockerfile: node:26 slim stages, distroless Node.js 26 runtime, pinned tags, the lab's Node major", () => {
    expect(operatorStages.map((stage) => stage.name)).toEqual(["manifests", "prod-deps", "runtime"]);
    const nodeVersion = /^NODE_VERSION=(\S+)$/m.exec(read("scripts/versions.env"))?.[1] as string;
    for (const stage of operatorStages.slice(0, 2)) expect(stage.image).toBe(`node:${nodeVersion}-trixie-slim`);
    expect(operatorRuntime.image).toBe(`gcr.io/distroless/nodejs${nodeVersion.split(".")[0]}-debian13:nonroot`);
    for (const stage of operatorStages) expect(stage.image).toMatch(/^[\w./-]+:[\w.-]+$/);
  });

  it("installs only the operator's production dependencies and runs `node operator/src/main.ts` as 65532 without a shell", () => {
    const prodDeps = operatorStages.find((stage) => stage.name === "prod-deps")?.body.filter((i) => i.keyword === "RUN") ?? [];
    expect(prodDeps.map((i) => i.args).join("\n")).toMatch(/npm ci --workspace operator --omit=dev/);
    const last = (keyword: string) => operatorRuntime.body.filter((i) => i.keyword === keyword).at(-1)?.args;
    expect(last("USER")).toBe("65532:65532");
    expect(JSON.parse(last("ENTRYPOINT") as string)).toEqual(["/nodejs/bin/node", "operator/src/main.ts"]);
    expect(last("EXPOSE")).toBe("8080");
    expect(operatorRuntime.body.filter((i) => i.keyword === "RUN")).toEqual([]);
    const labels = operatorRuntime.body
      .filter((i) => i.keyword === "LABEL")
      .map((i) => i.args)
      .join(" ");
    expect(labels).toContain(`org.opencontainers.image.version="\${VERSION}"`);
  });

  it("copies from the context only files that exist and that operator/Dockerfile.dockerignore lets through", () => {
    const sources = operatorInstructions
      .filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from="))
      .flatMap((i) => i.args.split(" ").slice(0, -1))
      .filter((source) => source !== ".");
    for (const source of sources) {
      expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
      expect(operatorIgnored(source), `${source} is excluded by operator/Dockerfile.dockerignore`).toBe(false);
    }
    const tracked = execFileSync("git", ["ls-files", ...operatorCopied], { cwd: REPO_ROOT, encoding: "utf8" })
      .trim()
      .split("\n");
    for (const file of tracked) expect(operatorIgnored(file), file).toBe(false);
    for (const path of [
      "node_modules/x/package.json",
      "app/src/main.ts",
      "k6/runner/bench.ts",
      "charts/otp-service/Chart.yaml",
      ".git/HEAD",
    ]) {
      expect(operatorIgnored(path), path).toBe(true);
    }
  });

  it("every relative import reachable from operator/src resolves inside what the image copies; every package is a production dependency", () => {
    const operatorPackage = JSON.parse(read("operator/package.json")) as { dependencies: Record<string, string> };
    const entries = execFileSync("git", ["ls-files", "operator/src/*.ts"], { cwd: REPO_ROOT, encoding: "utf8" }).trim().split("\n");
    const seen = new Set<string>();
    const outside: string[] = [];
    const packages = new Set<string>();
    const visit = (file: string, from: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      if (!existsSync(join(REPO_ROOT, file))) outside.push(`${file} (imported by ${from}) does not exist`);
      else if (!isCopied(file)) outside.push(`${file} (imported by ${from}) is not copied into the image`);
      else {
        for (const specifier of runtimeImports(read(file))) {
          if (specifier.startsWith(".")) visit(posix.normalize(posix.join(posix.dirname(file), specifier)), file);
          else if (!specifier.startsWith("node:"))
            packages.add(specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : (specifier.split("/")[0] as string));
        }
      }
    };
    for (const entry of entries) visit(entry, "(operator/src)");
    expect(outside).toEqual([]);
    // The CapacityBenchmark controller reaches into k6/ and k6-operator/: the closure covers them.
    expect([...seen].some((file) => file.startsWith("k6/runner/"))).toBe(true);
    expect([...seen].some((file) => file.startsWith("k6-operator/"))).toBe(true);
    for (const name of packages) expect(Object.keys(operatorPackage.dependencies), `${name} is imported at run time`).toContain(name);
    // Files read at run time: the pinned k6 image (k6Image) and the scripts a TestRun mounts (importClosure).
    for (const file of ["scripts/versions.env", "k6/scripts/11-send-flow.ts"]) expect(isCopied(file), file).toBe(true);
  });
});
