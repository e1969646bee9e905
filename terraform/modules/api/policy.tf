# The API's resource policy: who may invoke POST /process. Deny by default - every caller not
# listed in invoke_access.principals is denied explicitly, which also stops principals of this
# account whose IAM policies allow execute-api:Invoke on "*" (with AWS_IAM authorization a
# same-account caller is otherwise allowed by an IAM policy alone). With vpc_endpoint_ids the API
# is PRIVATE and only reachable through those interface endpoints.

locals {
  account_id_pattern = "^[0-9]{12}$"
  caller_account_ids = [for principal in var.invoke_access.principals : principal if can(regex(local.account_id_pattern, principal))]
  caller_arns        = [for principal in var.invoke_access.principals : principal if !can(regex(local.account_id_pattern, principal))]
  caller_principals = concat(
    [for account_id in local.caller_account_ids : "arn:${data.aws_partition.current.partition}:iam::${account_id}:root"],
    local.caller_arns,
  )

  # aws:SourceVpce is only set on requests through an execute-api interface endpoint, which can
  # reach PRIVATE APIs only: endpoint ids make the API private.
  endpoint_type = length(var.invoke_access.vpc_endpoint_ids) > 0 ? "PRIVATE" : "REGIONAL"
}

data "aws_iam_policy_document" "invoke" {
  # Cross-account callers need this allow (and an IAM permission in their own account); for
  # callers of this account it is redundant with their IAM permission, and harmless.
  dynamic "statement" {
    for_each = length(local.caller_principals) == 0 ? [] : [local.caller_principals]

    content {
      sid       = "AllowListedCallers"
      actions   = ["execute-api:Invoke"]
      resources = ["${aws_api_gateway_rest_api.this.execution_arn}/*/${aws_api_gateway_method.process_post.http_method}${aws_api_gateway_resource.process.path}"]

      principals {
        type        = "AWS"
        identifiers = statement.value
      }
    }
  }

  # Everyone who is neither a listed principal nor in a listed account (conditions are ANDed);
  # with no principal listed at all, everyone.
  statement {
    sid       = "DenyUnlistedCallers"
    effect    = "Deny"
    actions   = ["execute-api:Invoke"]
    resources = ["${aws_api_gateway_rest_api.this.execution_arn}/*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    dynamic "condition" {
      for_each = length(local.caller_arns) == 0 ? [] : [local.caller_arns]

      content {
        test     = "ArnNotEquals"
        variable = "aws:PrincipalArn"
        values   = condition.value
      }
    }

    dynamic "condition" {
      for_each = length(local.caller_account_ids) == 0 ? [] : [local.caller_account_ids]

      content {
        test     = "StringNotEquals"
        variable = "aws:PrincipalAccount"
        values   = condition.value
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.invoke_access.vpc_endpoint_ids) == 0 ? [] : [var.invoke_access.vpc_endpoint_ids]

    content {
      sid       = "DenyOutsideTheVpcEndpoints"
      effect    = "Deny"
      actions   = ["execute-api:Invoke"]
      resources = ["${aws_api_gateway_rest_api.this.execution_arn}/*"]

      principals {
        type        = "AWS"
        identifiers = ["*"]
      }

      condition {
        test     = "StringNotEquals"
        variable = "aws:SourceVpce"
        values   = statement.value
      }
    }
  }
}

resource "aws_api_gateway_rest_api_policy" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  policy      = data.aws_iam_policy_document.invoke.json
}
