using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Twine.Functions.Tests.Infrastructure;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Status;
using Twine.Functions.Metrics;

namespace Twine.Functions.Tests.Ingestion;

/// <summary>The thin function classes pass the request's headers, body and route values to their handlers.</summary>
public sealed class FunctionClassTests(AzuriteFixture azurite)
{
    private static HttpRequest Request(TestApp app, string method, string? body = null, string? contentType = "application/vnd.api+json", string? idempotencyKey = null)
    {
        var context = new DefaultHttpContext { RequestServices = app.Services };
        context.Request.Method = method;
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
            context.Request.ContentType = contentType;
        }

        if (method is "POST" or "PUT" or "DELETE")
        {
            app.Sign(context.Request, body is null ? [] : Encoding.UTF8.GetBytes(body));
        }

        if (idempotencyKey is not null)
        {
            context.Request.Headers["Idempotency-Key"] = idempotencyKey;
        }

        return context.Request;
    }

    [Fact]
    public async Task IngestMetrics_reads_content_type_length_key_and_body_from_the_request()
    {
        await using var app = new TestApp(azurite);
        var function = ActivatorUtilities.CreateInstance<IngestMetricsFunction>(app.Services);
        var body = Bodies.Metrics(2).ToJsonString();

        var first = await app.ExecuteAsync(await function.Run(Request(app, "POST", body, idempotencyKey: "fn-1"), CancellationToken.None));
        var again = await app.ExecuteAsync(await function.Run(Request(app, "POST", body, idempotencyKey: "fn-1"), CancellationToken.None));
        var wrongType = await app.ExecuteAsync(await function.Run(Request(app, "POST", body, contentType: "text/csv"), CancellationToken.None));

        Assert.Equal(202, first.Status);
        Assert.Equal(first.IngestionId, again.IngestionId); // the header reached the handler
        wrongType.AssertProblem(415);
        Assert.Equal(1, await app.MessageCountAsync(app.Names.MetricsQueue));
    }

    [Fact]
    public async Task Calendar_functions_pass_the_route_externalId()
    {
        await using var app = new TestApp(azurite);
        var functions = ActivatorUtilities.CreateInstance<CalendarEventFunctions>(app.Services);

        var putBody = Bodies.CalendarEvent().With("meta", new System.Text.Json.Nodes.JsonObject { ["external_id"] = "appt-1" }).ToJsonString();
        var put = await app.ExecuteAsync(await functions.Put(Request(app, "PUT", putBody), "appt-1", CancellationToken.None));
        var delete = await app.ExecuteAsync(await functions.Delete(Request(app, "DELETE", Encoding.UTF8.GetString(TestApp.DeleteBody("appt-1"))), "appt-1", CancellationToken.None));

        Assert.Equal((202, 202), (put.Status, delete.Status));
        Assert.Equal("appt-1", (await app.GetStatusAsync(delete.IngestionId)).Json["externalId"]!.GetValue<string>());
        Assert.Equal(2, await app.MessageCountAsync(app.Names.CalendarEventsQueue));
    }

    [Fact]
    public async Task GetIngestionStatus_passes_the_route_id()
    {
        await using var app = new TestApp(azurite);
        var function = ActivatorUtilities.CreateInstance<GetIngestionStatusFunction>(app.Services);
        var id = (await app.PostMetricsAsync(Bodies.Metrics(1))).IngestionId;

        var found = await app.ExecuteAsync(await function.Run(Request(app, "GET"), id, CancellationToken.None));

        Assert.Equal(200, found.Status);
        Assert.Equal(id, found.IngestionId);
    }
}
