using Microsoft.Azure.Functions.Worker;
using Twine.Functions.Processing;

namespace Twine.Functions.Tests.Processing;

/// <summary>The trigger's binding data arrives as numbers or JSON text depending on the host; both are read.</summary>
public sealed class QueueTriggerDataTests
{
    [Theory]
    [InlineData(3L, 3L)]
    [InlineData("4", 4L)]
    [InlineData(null, 0L)]
    [InlineData("not a number", 0L)]
    public void Dequeue_count_is_read_from_the_binding_data(object? value, long expected)
    {
        var context = new BindingDataContext(new Dictionary<string, object?> { ["DequeueCount"] = value });

        Assert.Equal(expected, QueueTriggerData.DequeueCount(context));
    }

    [Theory]
    [InlineData("\"6f1c2d3e\"")]
    [InlineData("6f1c2d3e")]
    public void Message_id_is_read_with_or_without_json_quotes(string value)
    {
        var context = new BindingDataContext(new Dictionary<string, object?> { ["id"] = value });

        Assert.Equal("6f1c2d3e", QueueTriggerData.MessageId(context));
    }

    private sealed class BindingDataContext(IReadOnlyDictionary<string, object?> data) : FunctionContext
    {
        public override string InvocationId => "invocation";
        public override string FunctionId => "function";
        public override TraceContext TraceContext => throw new NotSupportedException();
        public override BindingContext BindingContext { get; } = new Bindings(data);
        public override RetryContext RetryContext => throw new NotSupportedException();
        public override IServiceProvider InstanceServices { get; set; } = null!;
        public override FunctionDefinition FunctionDefinition => throw new NotSupportedException();
        public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();
        public override Microsoft.Azure.Functions.Worker.IInvocationFeatures Features => throw new NotSupportedException();

        private sealed class Bindings(IReadOnlyDictionary<string, object?> data) : BindingContext
        {
            public override IReadOnlyDictionary<string, object?> BindingData => data;
        }
    }
}
