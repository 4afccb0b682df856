using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Twine.Benchmarks.Harness;

/// <summary>
/// What a partner without this app would write: for every metric, a fresh token (POST /oauth/token) and one POST
/// /patient_health_metric of that metric alone; a 429 waits out Retry-After and tries again. Run by one worker
/// (sequential) or several sharing the list.
/// </summary>
public sealed class NaiveTwineClient(Uri baseAddress, string clientId, string clientSecret) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
    private int _throttled;

    public int Throttled => Volatile.Read(ref _throttled);

    /// <summary>Sends every metric with <paramref name="workers"/> workers; returns the elapsed time.</summary>
    public async Task<TimeSpan> SendAllAsync(IReadOnlyList<JsonObject> metrics, int workers, CancellationToken cancellationToken)
    {
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < metrics.Count)
            {
                var token = await TokenAsync(cancellationToken);
                await SendAsync(() => Request(HttpMethod.Post, "patient_health_metric", new JsonObject { ["data"] = metrics[i].DeepClone() }, token),
                    cancellationToken);
            }
        }));
        return watch.Elapsed;
    }

    private async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["type"] = "token",
                ["attributes"] = new JsonObject { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = clientSecret },
            },
        };
        var answer = await SendAsync(() => Request(HttpMethod.Post, "oauth/token", body, null), cancellationToken);
        return JsonNode.Parse(answer)!["data"]!["attributes"]!["access_token"]!.GetValue<string>();
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, JsonNode body, string? token)
    {
        var request = new HttpRequestMessage(method, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.api+json");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    /// <summary>Sends until the answer is not 429; any 2xx is success.</summary>
    private async Task<string> SendAsync(Func<HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var message = request();
            using var response = await _http.SendAsync(message, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return text;
            }

            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Interlocked.Increment(ref _throttled);
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), cancellationToken);
                continue;
            }

            throw new InvalidOperationException($"{message.Method} {message.RequestUri}: {(int)response.StatusCode} {text}");
        }
    }

    public void Dispose() => _http.Dispose();
}
