using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Twine.Functions.Platform.Http;

/// <summary>
/// Who may use the operator routes (section <c>OperatorAuth</c>, e.g. <c>OperatorAuth__RequireSignIn</c>), validated at
/// start-up. Off by default (locally and in an environment without App Service Authentication, the function key is the
/// guard); the Bicep template turns it on together with App Service Authentication (docs/DEPLOY.md#operator-sign-in).
/// Never turn it on without App Service Authentication in front of the app: only App Service removes a caller's own
/// <c>X-MS-CLIENT-PRINCIPAL</c> header, so without it the header is whatever the caller sends.
/// </summary>
public sealed class OperatorAuthOptions
{
    public const string SectionName = "OperatorAuth";
    public const string DefaultRole = "Twine.Operator";

    /// <summary>The operator routes need a signed-in principal (X-MS-CLIENT-PRINCIPAL) with <see cref="Role"/>.</summary>
    public bool RequireSignIn { get; set; }

    /// <summary>
    /// The app role (its value in the Entra app registration) an operator must have. Entra app role values have no spaces.
    /// Not [Required]: it has a default, so Azure need not set it (an empty value is refused by the length).
    /// </summary>
    [MinLength(1)]
    [MaxLength(120)]
    [RegularExpression(@"^\S+$")]
    public string Role { get; set; } = DefaultRole;
}

[OptionsValidator]
public sealed partial class OperatorAuthOptionsValidator : IValidateOptions<OperatorAuthOptions>;
