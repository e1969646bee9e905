# What a client needs to upload into the bucket: s3:PutObject (and AbortMultipartUpload) under the
# upload prefix, and the stack's key for SSE-KMS - kms:GenerateDataKey to encrypt, kms:Decrypt for
# multipart uploads (S3 reads the encrypted parts back to complete them) - only through S3 of
# this region. Exported as JSON always, and as a customer-managed policy to attach to uploader
# roles when uploader_policy_name is set.

data "aws_iam_policy_document" "uploader" {
  statement {
    sid       = "PutUploads"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.uploads.arn}/${var.uploads_prefix}*"]
  }

  statement {
    sid       = "EncryptUploadsWithTheStackKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${data.aws_region.current.name}.amazonaws.com"]
    }
  }
}

resource "aws_iam_policy" "uploader" {
  count = var.uploader_policy_name == null ? 0 : 1

  name        = var.uploader_policy_name
  description = "Upload into ${var.uploads_bucket_name}/${var.uploads_prefix} with the stack's KMS key (attach to uploader roles)"
  policy      = data.aws_iam_policy_document.uploader.json
}
