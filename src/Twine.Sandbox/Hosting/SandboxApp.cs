using Twine.Sandbox.Auth;
using Twine.Sandbox.Resources;

namespace Twine.Sandbox.Hosting;

/// <summary>Wires one sandbox WebApplication: Kestrel on loopback, the middleware, every route.</summary>
internal static class SandboxApp
{
    public static WebApplication Build(SandboxOptions options, SandboxState state, bool quiet)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SandboxApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            // No file watchers on appsettings*.json (the sandbox reads none): tests start many sandboxes, and every
            // watcher takes one of the user's inotify instances (128 by default on Linux).
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.WebHost.UseKestrel().UseUrls($"http://{options.Host}:{options.Port}");
        builder.Logging.ClearProviders();
        if (!quiet)
        {
            builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        }

        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(state.Time);

        var app = builder.Build();
        app.UseStatusCodePages(Pipeline.StatusCodePage);
        app.Use(Pipeline.HandleErrors);
        app.UseRouting();
        app.Use((context, next) => Pipeline.CountAndFault(context, next, state));
        app.Use((context, next) => Pipeline.RequireBearer(context, next, state));
        app.Use((context, next) => RealismMiddleware.Apply(context, next, state));

        var pub = app.MapGroup("/pub");
        TokenEndpoints.Map(pub);
        ResourceEndpoints.Map(pub);
        // Unknown /pub paths answer in the error shape (after auth, like the real API).
        pub.MapFallback(context => throw new JsonApi.ApiException(
            new JsonApi.ApiError(404, "ResourceNotFound", "Resource not found", $"No route for {context.Request.Method} {context.Request.Path}")));
        ControlEndpoints.Map(app, state);
        return app;
    }
}
