using System.Net;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Twine.Functions.Ingestions.Console;
using Twine.Functions.Ingestions.History;
using Twine.Functions.Ingestions.Replay;
using Twine.Functions.Ingestions.Retries;
using Twine.Functions.Ingestions.Status;

namespace Twine.Console.Tests;

/// <summary>
/// What the Functions host does for the console's routes, on a loopback Kestrel: the same routes as functions.metadata,
/// each handed to the app's own function class (built from the test app's services), and the function-key check
/// (<c>x-functions-key</c> or <c>?code=</c>) on every route but the page's.
/// </summary>
internal sealed class ConsoleHost : IAsyncDisposable
{
    public const string FunctionKey = "console-test-function-key";
    private readonly WebApplication _web;

    private ConsoleHost(WebApplication web, Uri baseAddress)
    {
        _web = web;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<ConsoleHost> StartAsync(TestApp app)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var web = builder.Build();
        var history = ActivatorUtilities.CreateInstance<IngestionHistoryFunctions>(app.Services);
        var status = ActivatorUtilities.CreateInstance<GetIngestionStatusFunction>(app.Services);
        var replay = ActivatorUtilities.CreateInstance<ReplayFunctions>(app.Services);
        var console = ActivatorUtilities.CreateInstance<ConsoleFunction>(app.Services);

        web.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "";
            if (path.StartsWith("/api/ingestions", StringComparison.Ordinal)
                && context.Request.Headers["x-functions-key"] != FunctionKey && context.Request.Query["code"] != FunctionKey)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            await next(context);
        });
        web.MapGet("/api/console", Run(c => Task.FromResult(console.Run(c.Request))));
        web.MapGet("/api/ingestions", Run(c => history.List(c.Request, c.RequestAborted)));
        web.MapGet("/api/ingestions/summary", Run(c => history.Summary(c.Request, c.RequestAborted)));
        web.MapGet("/api/ingestions/{id}", Run(c => status.Run(c.Request, Id(c), c.RequestAborted)));
        web.MapPost("/api/ingestions/{id}/replay", Run(c => replay.ReplayOne(c.Request, Id(c), c.RequestAborted)));
        web.MapPost("/api/ingestions/replay", Run(c => replay.ReplayMany(c.Request, c.RequestAborted)));
        await web.StartAsync();
        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ConsoleHost(web, new Uri(address + "/"));
    }

    /// <summary>Runs a function method and its result into the response, as the Functions host's ASP.NET Core integration does.</summary>
    private static RequestDelegate Run(Func<HttpContext, Task<IResult>> function) =>
        async context => await (await function(context)).ExecuteAsync(context);

    private static string Id(HttpContext context) => (string)context.Request.RouteValues["id"]!;

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync();
        await _web.DisposeAsync();
    }
}

/// <summary>Keeps rescheduled messages instead of queueing them with a delay: the test decides what the queue delivers.</summary>
internal sealed class HeldRetryQueue : IRetryQueue
{
    public List<byte[]> Held { get; } = [];

    public Task<SendReceipt> SendAsync(QueueClient queue, byte[] messageJson, TimeSpan delay, CancellationToken cancellationToken)
    {
        lock (Held)
        {
            Held.Add(messageJson);
        }

        return Task.FromResult(QueuesModelFactory.SendReceipt("held", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "held", DateTimeOffset.UnixEpoch));
    }
}
