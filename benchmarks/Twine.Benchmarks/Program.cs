using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Twine.Benchmarks;
using Twine.Benchmarks.Harness;

// `tokens` runs the token-request harness; `poll [emails] [page sizes...]` the 10,000-email polling harness;
// `accept`, `throughput`, `coldstart`, `retention` the harnesses below;
// anything else goes to BenchmarkDotNet (e.g. --filter '*').
if (args is ["tokens", ..])
{
    return await TokenRequestsHarness.RunAsync();
}

if (args is ["poll", ..])
{
    return await PollBacklogHarness.RunAsync(args);
}

// `accept`, `throughput`, `coldstart`: issue 15's harnesses (docs/PERFORMANCE.md); each ends with `key: value` lines.
if (args is ["accept", ..])
{
    return await AcceptHarness.RunAsync(args);
}

if (args is ["throughput", ..])
{
    return await ThroughputHarness.RunAsync(args);
}

// `retention [count]`: issue 13's retention figure (docs/PERFORMANCE.md#retention-on-many-ingestions).
if (args is ["retention", ..])
{
    return await RetentionHarness.RunAsync(args);
}

// `azurite-keys`: why row keys carry their partition's id (docs/STORAGE.md).
if (args is ["azurite-keys", ..])
{
    return await AzuriteRowKeysHarness.RunAsync(args);
}

if (args is ["coldstart", ..])
{
    return await ColdStartHarness.RunAsync(args);
}

// In-process toolchain: no generated project to build (it would inherit this repository's warnings-as-errors).
var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
BenchmarkSwitcher.FromAssembly(typeof(TokenRequestsHarness).Assembly).Run(args, config);
return 0;
