using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Twine.Benchmarks;

// `tokens` runs the token-request harness; `poll [emails] [page sizes...]` the 10,000-email polling harness;
// anything else goes to BenchmarkDotNet (e.g. --filter '*').
if (args is ["tokens", ..])
{
    return await TokenRequestsHarness.RunAsync();
}

if (args is ["poll", ..])
{
    return await PollBacklogHarness.RunAsync(args);
}

// In-process toolchain: no generated project to build (it would inherit this repository's warnings-as-errors).
var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
BenchmarkSwitcher.FromAssembly(typeof(TokenRequestsHarness).Assembly).Run(args, config);
return 0;
