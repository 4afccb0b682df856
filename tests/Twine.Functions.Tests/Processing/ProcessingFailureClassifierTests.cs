using System.Net;
using System.Text.Json;
using Azure;
using Twine.Client.Errors;
using Twine.Client.Models;
using Twine.Client.Serialization;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions.Failures;
using Twine.Functions.Platform.Secrets;

namespace Twine.Functions.Tests.Processing;

/// <summary>One test per exception type processing can meet: permanent (recorded at once), transient (rescheduled), or left to the host.</summary>
public sealed class ProcessingFailureClassifierTests
{
    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.Conflict)]
    [InlineData(HttpStatusCode.UnprocessableEntity)]
    public void Twine_4xx_is_permanent(HttpStatusCode status) =>
        Assert.Equal(FailureClass.Permanent, ProcessingFailureClassifier.Classify(Twine(TwineFailureKind.ErrorResponse, status)));

    [Theory]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public void Twine_408_429_and_5xx_are_transient(HttpStatusCode status) =>
        Assert.Equal(FailureClass.Transient, ProcessingFailureClassifier.Classify(Twine(TwineFailureKind.ErrorResponse, status)));

    [Theory]
    [InlineData(TwineFailureKind.Timeout)]
    [InlineData(TwineFailureKind.ConnectionFailure)]
    [InlineData(TwineFailureKind.CircuitOpen)]
    [InlineData(TwineFailureKind.InvalidResponse)]
    public void Twine_not_answering_or_answering_unreadably_is_transient(TwineFailureKind kind) =>
        Assert.Equal(FailureClass.Transient, ProcessingFailureClassifier.Classify(Twine(kind, kind == TwineFailureKind.InvalidResponse ? HttpStatusCode.OK : null)));

    [Fact]
    public void Credentials_unavailable_is_transient() =>
        Assert.Equal(FailureClass.Transient, ProcessingFailureClassifier.Classify(new SecretUnavailableException("vault down", "twine-client-secret", 503, null)));

    [Fact]
    public void A_busy_calendar_link_is_transient() =>
        Assert.Equal(FailureClass.Transient, ProcessingFailureClassifier.Classify(new LinkBusyException("0193a5b2c3d47e8f9a0b1c2d3e4f5a6b", "is busy")));

    [Fact]
    public void Twine_paused_on_this_instance_is_transient() =>
        Assert.Equal(FailureClass.Transient, ProcessingFailureClassifier.Classify(new TwinePausedException("503 ServiceUnavailable")));

    [Fact]
    public void Writing_infinity_is_permanent()
    {
        // What 1e400 becomes: System.Text.Json reads it as infinity into a double and refuses to write it.
        var resource = new PatientHealthMetricResource { Attributes = new PatientHealthMetricAttributes { Systolic = double.PositiveInfinity } };
        var thrown = Record.Exception(() => JsonSerializer.SerializeToUtf8Bytes(resource, TwineJsonContext.Default.PatientHealthMetricResource));

        Assert.IsType<ArgumentException>(thrown);
        Assert.Equal(FailureClass.Permanent, ProcessingFailureClassifier.Classify(thrown));
    }

    [Fact]
    public void A_json_exception_is_permanent() =>
        Assert.Equal(FailureClass.Permanent, ProcessingFailureClassifier.Classify(new JsonException("bad")));

    [Fact]
    public void Not_supported_is_permanent() =>
        Assert.Equal(FailureClass.Permanent, ProcessingFailureClassifier.Classify(new NotSupportedException("no converter")));

    [Fact]
    public void Invalid_text_refused_by_the_json_reader_is_permanent()
    {
        // A lone surrogate escape in a member name parses, and throws only when the name is read.
        using var document = JsonDocument.Parse("""{"\ud800":1}""");
        var thrown = Record.Exception(() => document.RootElement.EnumerateObject().First().Name);

        Assert.IsType<InvalidOperationException>(thrown);
        Assert.Equal(FailureClass.Permanent, ProcessingFailureClassifier.Classify(thrown));
    }

    [Fact]
    public void Storage_errors_are_left_to_the_host()
    {
        Assert.Equal(FailureClass.HostRetry, ProcessingFailureClassifier.Classify(new RequestFailedException(503, "storage")));
        Assert.Equal(FailureClass.HostRetry, ProcessingFailureClassifier.Classify(new AggregateException(new RequestFailedException(0, "down"), new HttpRequestException())));
        Assert.Equal(FailureClass.HostRetry, ProcessingFailureClassifier.Classify(new OperationCanceledException()));
    }

    [Fact]
    public void Argument_and_invalid_operation_exceptions_not_from_the_serializer_are_unclassified()
    {
        Assert.Equal(FailureClass.Unclassified, ProcessingFailureClassifier.Classify(new ArgumentException("a bug")));
        Assert.Equal(FailureClass.Unclassified, ProcessingFailureClassifier.Classify(new InvalidOperationException("a bug")));
        Assert.Equal(FailureClass.Unclassified, ProcessingFailureClassifier.Classify(new NullReferenceException()));
        Assert.Equal(FailureClass.Unclassified, ProcessingFailureClassifier.Classify(new AggregateException(new InvalidOperationException())));
    }

    [Fact]
    public void Descriptions_carry_status_and_codes_only()
    {
        var e = new TwineApiException("createPatientHealthMetric", TwineFailureKind.ErrorResponse, HttpStatusCode.ServiceUnavailable, [], "req-1");

        Assert.Equal("createPatientHealthMetric: 503 ServiceUnavailable", ProcessingFailureClassifier.Describe(e));
        Assert.Equal("createCalendarEvent: Timeout", ProcessingFailureClassifier.Describe(Twine(TwineFailureKind.Timeout, null)));
        Assert.Equal("InvalidOperationException", ProcessingFailureClassifier.Describe(new InvalidOperationException("patient 123")));
    }

    private static TwineApiException Twine(TwineFailureKind kind, HttpStatusCode? status) =>
        new("createCalendarEvent", kind, status, [], null);
}
