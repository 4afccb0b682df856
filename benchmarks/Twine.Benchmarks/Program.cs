using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Twine.Benchmarks;

// `tokens` runs the token-request harness; anything else goes to BenchmarkDotNet (e.g. --filter '*').
if (args is ["tokens", ..])
{
    return await TokenRequestsHarness.RunAsync();
}

// In-process toolchain: no generated project to build (it would inherit this repository's warnings-as-errors).
var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
return 0;
